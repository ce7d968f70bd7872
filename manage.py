#!/usr/bin/env python
from masthead.cli import main

if __name__ == "__main__":
    main()
