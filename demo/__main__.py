"""``python -m demo``: trace every scenario offline into one store, then show the sessions."""

from __future__ import annotations

import argparse
import importlib.util

from chaintracer import cli
from demo import langchain_scenarios


def main() -> None:
    parser = argparse.ArgumentParser(description="Run the offline demo scenarios.")
    parser.add_argument("--store", default="chaintracer.db")
    args = parser.parse_args()

    names = langchain_scenarios.run(args.store)
    if importlib.util.find_spec("llama_index") is not None and importlib.util.find_spec("demo.llamaindex_scenarios"):
        from demo import llamaindex_scenarios

        names += llamaindex_scenarios.run(args.store)

    print(f"\nTraced {len(names)} sessions into {args.store}:\n")
    cli.main(["sessions", "--store", args.store])
    print()
    cli.main(["show", "agent", "--store", args.store])
    print(
        "\nNext: chaintracer show synopsis_chain | chaintracer export agent --format json"
        f"   (add --store {args.store} when running elsewhere)"
    )


if __name__ == "__main__":
    main()
