"""`python -m keras_hpn.cli`: the `keras-hpn` command."""

import sys

from keras_hpn.cli import main

if __name__ == "__main__":
    sys.exit(main())
