"""Print the precedence tables as Markdown (docs/mapping.md embeds this output)."""

from otel_runs.dialects.precedence import render_markdown

if __name__ == "__main__":
    print(render_markdown())
