"""Parses an OpenMetrics 1.0 exposition from stdin with the Prometheus Python client's strict
parser (Debian's python3-prometheus-client), independently of our code: promtool's `check metrics`
reads only the classic text format. Prints `name type samples` per family; exits 1 on any error."""
import sys

from prometheus_client.openmetrics.parser import text_string_to_metric_families

try:
    for family in text_string_to_metric_families(sys.stdin.read()):
        print(family.name, family.type, len(family.samples))
except Exception as e:  # the parser raises ValueError and friends; any failure is a refusal
    print(f"not OpenMetrics: {e}", file=sys.stderr)
    sys.exit(1)
