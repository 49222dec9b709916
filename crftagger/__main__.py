import sys

from crftagger.cli import main

sys.exit(main())
