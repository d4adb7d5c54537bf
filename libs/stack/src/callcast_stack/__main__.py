import sys

from callcast_stack.cli import main

sys.exit(main())
