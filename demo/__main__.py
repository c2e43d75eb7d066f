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

    from demo import experiment_scenarios

    experiments = experiment_scenarios.run(args.store)

    print(f"\nTraced {len(names)} sessions and {len(experiments)} experiments into {args.store}:\n")
    cli.main(["sessions", "--store", args.store])
    print()
    cli.main(["show", "agent", "--store", args.store])
    report = "reports/demo-report.html"
    cli.main(["report", *names, *experiments, "-o", report, "--store", args.store])
    print(
        f"\nOpen {report} in a browser (one self-contained file), or browse the store live:\n"
        f"  .venv/bin/chaintracer ui --store {args.store}      # http://127.0.0.1:8765\n"
        "More: chaintracer show synopsis_chain | chaintracer export agent --format json"
    )


if __name__ == "__main__":
    main()
