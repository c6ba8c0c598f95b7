"""JupyterHub on one machine for rnncourse: one system user per learner (LocalProcessSpawner).

TESTED: this is the configuration `make hub-test` and tests/test_hub.py run (JupyterHub 6.1,
configurable-http-proxy 5.3, nbgitpuller 1.3), with throwaway system users; see
instructors/jupyterhub.md, "The tested set-up". The test loads this file unchanged and sets only
what differs on a test machine after it: ports, the database and cookie-secret paths, the proxy's
path, the learners' user names, and an API token for its driver.

Run the hub as root (it must start each learner's server as that learner) from the environment
that holds the course, JupyterHub and nbgitpuller, readable by every learner:

    sudo /opt/rnncourse-hub/bin/jupyterhub -f jupyterhub_config_local.py

Each learner needs a system account (`sudo useradd --create-home alice`); their home folder must
not be readable by others: `sudo chmod 700 /home/alice` (on Debian 12, `useradd` makes it 755,
readable by everyone; `adduser` makes it 700).
"""

import os
import sys

c = get_config()  # noqa: F821 (provided by JupyterHub when it loads this file)

# Loopback only. For a room, put a TLS-terminating reverse proxy (nginx, Caddy) in front of
# port 8000, or set c.JupyterHub.bind_url = "https://0.0.0.0:443" with ssl_cert / ssl_key.
c.JupyterHub.bind_url = "http://127.0.0.1:8000"
c.JupyterHub.hub_ip = "127.0.0.1"

# THE ONE LINE TO CHANGE FOR A REAL ROOM: "dummy" lets anyone in allowed_users log in with any
# password and is for testing only. With system users, "pam" checks their system passwords:
#     c.JupyterHub.authenticator_class = "pam"
# (or your institution's: oauthenticator, ldapauthenticator; each user name must then exist as
# a system user). Do not use "shared-password" here: with it anyone can log in as anyone.
c.JupyterHub.authenticator_class = "dummy"
c.Authenticator.allowed_users = set()  # your learners' user names, e.g. {"alice", "bob"}

# Every learner's JupyterLab runs as that learner's own system user, in their home folder, on
# loopback (the hub's proxy is the only way in). It is the hub's own environment (sys.prefix):
# the course's package, JupyterLab, nbgitpuller, the `rnncourse` command.
c.JupyterHub.spawner_class = "localprocess"
c.Spawner.ip = "127.0.0.1"
c.Spawner.cmd = [os.path.join(sys.prefix, "bin", "jupyterhub-singleuser")]
c.Spawner.default_url = "/lab"
c.Spawner.environment = {
    "PATH": os.pathsep.join(
        [os.path.join(sys.prefix, "bin"), "/usr/local/bin", "/usr/bin", "/bin"]
    ),
    # one BLAS thread per learner: on a shared machine more threads make small RNNs slower
    "OPENBLAS_NUM_THREADS": "1",
    "OMP_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "PYTHONHASHSEED": "0",  # the lessons then print the numbers their text quotes
}
# A busy machine starts 30 servers slowly: give each a minute and a half before giving up.
c.Spawner.start_timeout = 90
c.Spawner.http_timeout = 90
# LocalProcessSpawner does not enforce memory or CPU limits (mem_limit / cpu_limit are only
# read by spawners that can enforce them); count one core and 1 GB per learner when sizing.
