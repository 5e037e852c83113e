"""``python -m inverse_qe``: the ``inverse-qe`` command line."""

from inverse_qe.cli import console_main

if __name__ == "__main__":
    console_main()
