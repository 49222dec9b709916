import sys

from crftagger.cli.app import main

sys.exit(main())
