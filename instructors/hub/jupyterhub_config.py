"""JupyterHub with DockerSpawner, one container per learner, for rnncourse.

Use it as (or merge it into) your hub's jupyterhub_config.py; authentication is whatever your
hub already uses. Needs `pip install dockerspawner` beside JupyterHub, and the image built from
instructors/hub/Dockerfile. NOT TESTED where this course was built (no Docker there).
"""

c = get_config()  # noqa: F821 (provided by JupyterHub when it loads this file)

c.JupyterHub.spawner_class = "dockerspawner.DockerSpawner"
c.DockerSpawner.image = "ghcr.io/YOUR-ORG/rnncourse-hub:2026-11"
c.DockerSpawner.remove = True  # containers are disposable ...
c.DockerSpawner.notebook_dir = "/home/jovyan"
c.DockerSpawner.volumes = {"jupyterhub-user-{username}": "/home/jovyan"}  # ... homes are not

c.Spawner.default_url = "/lab"
c.Spawner.environment = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
c.Spawner.mem_limit = "2G"
c.Spawner.cpu_limit = 1.0
