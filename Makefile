# Two entry points a fresh machine needs: `make run` and `make test`.
# Everything they use is installed here, into a local .venv (and Debian packages via apt).
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# Runtime libraries Qt's xcb/offscreen platforms load, plus Xvfb for real-window screenshots.
APT_PACKAGES := libegl1 libgl1 libxkbcommon0 libxkbcommon-x11-0 libfontconfig1 libdbus-1-3 \
	libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-shape0 libxcb-xinerama0 xvfb

.PHONY: run test system-deps deps bench screenshots clean package package-check

system-deps:
	@missing=""; for p in $(APT_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  if command -v apt-get >/dev/null; then \
	    SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	    $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing; \
	  else echo "install these system packages for Qt:$$missing"; fi; \
	fi

$(STAMP): pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	touch $(STAMP)

deps: system-deps $(STAMP)

run: deps
	$(PY) -m grace_desktop --venue paper

# The whole suite: lint (ruff), types (mypy --strict on domain/ and services/), layering contracts, then pytest (offscreen Qt) under a hard timeout so a
# hung Qt/asyncio teardown fails instead of stalling.
test: deps
	$(VENV)/bin/ruff check grace_desktop tests
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports
	QT_QPA_PLATFORM=offscreen QT_API=pyside6 timeout -k 30 2400 $(PY) -m pytest -q

# Real-window screenshots (docs/): Xvfb, a tray host (trayer) for the tray menu, then both scripts.
SCREENSHOT_APT_PACKAGES := xvfb trayer
SHOT_DISPLAY ?= :99
screenshots: deps
	$(MAKE) system-deps APT_PACKAGES="$(APT_PACKAGES) $(SCREENSHOT_APT_PACKAGES)"
	Xvfb $(SHOT_DISPLAY) -screen 0 1600x1000x24 & xvfb=$$!; sleep 1; \
	DISPLAY=$(SHOT_DISPLAY) trayer --edge top --align right --widthtype pixel --width 120 --height 28 & tray=$$!; sleep 1; \
	DISPLAY=$(SHOT_DISPLAY) QT_QPA_PLATFORM=xcb $(PY) tests/ui/make_screenshots.py docs/ && \
	DISPLAY=$(SHOT_DISPLAY) QT_QPA_PLATFORM=xcb $(PY) tests/ui/make_tray_screenshots.py docs/; rc=$$?; \
	kill $$tray $$xvfb; exit $$rc

# Linux packages (packaging/README.md): the PyInstaller one-folder bundle, a .deb and an AppDir with
# its squashfs image, sizes printed. `package-check` then runs them outside the repository.
PACKAGE_APT := binutils squashfs-tools desktop-file-utils dpkg
$(VENV)/.package: $(STAMP)
	$(PY) -m pip install -q -e '.[test,package]'
	touch $@

package: deps $(VENV)/.package
	$(MAKE) --no-print-directory system-deps APT_PACKAGES="$(PACKAGE_APT)"
	packaging/build_linux.sh $(PY)

package-check: package
	packaging/check_bundle.sh --no-build $(PY)

bench: deps
	for f in tests/benchmarks/bench_*.py; do QT_QPA_PLATFORM=offscreen $(PY) $$f || exit 1; done

clean:
	rm -rf $(VENV) build dist *.egg-info
