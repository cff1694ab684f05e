# -*- Python -*-
# lit configuration of the gps regression tests (check-gps).

import os
import shutil
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
config.substitutions.append(("%gps_build", config.gps_obj_root))
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

# The CUDA toolkit (in $CUDA_PATH, default /usr/local/cuda): --emit=ptx
# links its libdevice (REQUIRES: libdevice), and its assembler checks the
# PTX (REQUIRES: ptxas).
cuda_path = os.environ.get("CUDA_PATH") or "/usr/local/cuda"
if os.path.exists(os.path.join(cuda_path, "nvvm", "libdevice",
                               "libdevice.10.bc")):
    config.available_features.add("libdevice")
ptxas = shutil.which("ptxas") or os.path.join(cuda_path, "bin", "ptxas")
if os.access(ptxas, os.X_OK):
    config.available_features.add("ptxas")
    config.substitutions.append(("%ptxas", ptxas))

# gpsc links trainers for --target=cuda (the CUDA runtime was built:
# REQUIRES: cuda-runtime), and this machine has a GPU to run them on
# (REQUIRES: cuda; nvidia-smi lists one).
if getattr(config, "gps_cuda_runtime", False):
    config.available_features.add("cuda-runtime")
    import subprocess
    try:
        listed = subprocess.run(["nvidia-smi", "-L"], capture_output=True,
                                text=True, timeout=60)
        if listed.returncode == 0 and "GPU" in listed.stdout:
            config.available_features.add("cuda")
    except (OSError, subprocess.TimeoutExpired):
        pass
