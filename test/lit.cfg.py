# -*- Python -*-
# lit configuration of the gps regression tests (check-gps).

import os
import sys

import lit.formats
from lit.llvm import llvm_config
from lit.llvm.subst import ToolSubst

config.name = "GPS"
config.test_format = lit.formats.ShTest(not llvm_config.use_lit_shell)
config.suffixes = [".mlir", ".gps"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.gps_obj_root, "test")
config.excludes = ["CMakeLists.txt", "lit.cfg.py", "lit.site.cfg.py", "unit",
                   "Inputs"]

config.substitutions.append(("%PATH%", config.environment["PATH"]))
config.substitutions.append(("%python", sys.executable))
config.substitutions.append(("%examples", os.path.join(config.gps_src_root,
                                                       "examples")))

llvm_config.use_default_substitutions()
llvm_config.with_system_environment(["HOME", "INCLUDE", "LIB", "TMP", "TEMP"])
# Every FileCheck variable is scoped to its CHECK-LABEL block.
config.environment["FILECHECK_OPTS"] = "-enable-var-scope --allow-unused-prefixes=false"

llvm_config.with_environment("PATH", config.llvm_tools_dir, append_path=True)
tool_dirs = [config.gps_tools_dir, config.llvm_tools_dir]
tools = ["gpsc", "gps-opt"]
llvm_config.add_tool_substitutions(tools, tool_dirs)

# Built with ASan and UBSan (scripts/test --sanitize): ASan reserves its
# shadow memory up front, so a test that limits the address space cannot
# run.
if getattr(config, "gps_sanitize", False):
    config.available_features.add("asan")
