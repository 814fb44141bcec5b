"""``python -m dedup``, and the file ``spark-submit`` runs: ``spark-submit .../dedup/__main__.py clean ...``."""

from dedup.cli import main

if __name__ == "__main__":
    main()
