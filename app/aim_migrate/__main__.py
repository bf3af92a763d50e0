import sys

from aim_migrate.cli import main

sys.exit(main())
