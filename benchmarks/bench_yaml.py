"""YAML load throughput: parse N and 2N multi-document HTTPRoute manifests with the auditor's
safe loader (limits, alias guard, line numbers, List unwrapping) and print MB/s and docs/s.

Run: ``.venv/bin/python benchmarks/bench_yaml.py [--docs N]``. Roughly equal rates at both sizes
mean linear scaling.
"""

from __future__ import annotations

import argparse
import time

from auditor.sources.yamlload import load_documents

ROUTE = """\
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: route-{i}
  namespace: team-{ns}
  labels: {{app: shop, tier: web}}
spec:
  parentRefs:
    - {{name: public, namespace: infra, sectionName: https}}
  hostnames: ["r{i}.example.com"]
  rules:
    - matches:
        - path: {{type: PathPrefix, value: /api/{i}}}
          headers: [{{name: x-version, value: "v2"}}]
      backendRefs:
        - {{name: svc-{i}, port: 8080, weight: 90}}
        - {{name: svc-{i}-canary, port: 8080, weight: 10}}
"""


def corpus(docs: int) -> str:
    return "---\n".join(ROUTE.format(i=i, ns=i % 200) for i in range(docs))


def measure(docs: int) -> tuple[float, float]:
    text = corpus(docs)
    start = time.perf_counter()
    loaded, problems, _ = load_documents(text, path="bench.yaml", max_nodes=10_000_000)
    elapsed = time.perf_counter() - start
    assert len(loaded) == docs and not problems
    return elapsed, len(text) / 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--docs", type=int, default=5000)
    args = parser.parse_args()
    rates = []
    for docs in (args.docs, 2 * args.docs):
        elapsed, megabytes = measure(docs)
        rates.append(docs / elapsed)
        print(f"{docs:>7} documents ({megabytes:5.1f} MB): {elapsed:6.2f} s, "
              f"{megabytes / elapsed:5.2f} MB/s, {docs / elapsed:8.0f} docs/s")  # fmt: skip
    print(f"time ratio 2N/N: {rates[0] / rates[1] * 2:.2f} (2.00 = linear)")


if __name__ == "__main__":
    main()
