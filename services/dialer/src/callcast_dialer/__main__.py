from callcast_dialer.bootstrap import build_spec
from callcast_runtime.service import run

if __name__ == "__main__":
    run(build_spec())
