"""``python -m tools.bpmn_layout FILE.bpmn ...``"""
import sys

from .cli import main

sys.exit(main(sys.argv[1:]))
