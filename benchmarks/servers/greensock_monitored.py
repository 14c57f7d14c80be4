"""Echo server: greensock StreamServer with the blocking monitor on (threshold 0.1 s),
to measure what monitoring costs against greensock_streamserver.py."""
import runpy
import sys
from pathlib import Path

import greensock.monitor

greensock.monitor.start(0.1)
sys.argv = [str(Path(__file__).with_name("greensock_streamserver.py")), *sys.argv[1:]]
runpy.run_path(sys.argv[0], run_name="__main__")
