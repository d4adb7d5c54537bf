from callcast_runtime.service import run
from callcast_scheduler.bootstrap import build_spec

if __name__ == "__main__":
    run(build_spec())
