import sys

from rnncourse.cli import main

sys.exit(main())
