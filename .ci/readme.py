"""Render nbs/index.ipynb to README.md (markdown verbatim, code cells as python blocks, test cells skipped).

nbdev_readme needs Quarto; this keeps README.md in step without it. `--check` only compares.
"""

import json, re, sys

nb = json.load(open("nbs/index.ipynb"))
out = []
for c in nb["cells"]:
    s = "".join(c["source"]).strip("\n")
    if c["cell_type"] == "markdown":
        out.append(s)
    elif c["cell_type"] == "code" and not re.search(r"^\s*(assert|test_)", s, re.M) and not s.startswith("#|"):
        out.append("```python\n" + s + "\n```")
text = "\n\n".join(out) + "\n"
if len(sys.argv) > 1 and sys.argv[1] == "--check":
    print("README up to date" if open("README.md").read() == text else "README differs")
    sys.exit()
open("README.md", "w").write(text)
