"""Conan 2 recipe for wandb-media (issue 23): builds the library and the `wandb-media` CLI
from source with cargo and packages them with the C header and C++17 wrapper.

    conan create . --build=missing            # shared (default); -o "&:shared=False": static

Consumers get the CMake target `wandb_media::wandb_media` (find_package(wandb_media CONFIG),
generator CMakeDeps) and `wandb_media.pc` (generator PkgConfigDeps). Needs Rust (cargo) and
what `make deps-build` installs (nasm, pkg-config + libvpx-dev, cmake); no Conan remote.
The library is always built with cargo's release profile (optimised, line tables); the
package is stripped like `make install` (scripts/install.sh).

Environment:
  WANDB_MEDIA_CARGO_TARGET_DIR  build in this cargo target directory (e.g. a checkout's
                                target/): the dependencies built there are reused, only the
                                crate itself is compiled again. Default: <build folder>/target.
"""
import os
import re
import shutil
import subprocess

from conan import ConanFile
from conan.errors import ConanInvalidConfiguration
from conan.tools.files import copy, load


class WandbMediaConan(ConanFile):
    name = "wandb_media"
    license = "MIT"
    description = ("Weights & Biases rich media (images, video, audio, tables, runs) from native "
                   "code, byte-identical to the wandb Python SDK 0.31")
    topics = ("wandb", "weights-and-biases", "ml", "logging", "media")
    package_type = "library"
    settings = "os", "arch", "compiler", "build_type"
    options = {"shared": [True, False]}
    default_options = {"shared": True}
    exports_sources = (
        "Cargo.toml", "Cargo.lock", "build.rs", "cbindgen.toml", "LICENSE", ".cargo/*", "src/*",
        "include/*", "bindings/cpp/include/*", "packaging/*", "scripts/install.sh",
        # Targets Cargo.toml names explicitly (cargo reads their paths).
        "tests/compat/src/*", "tests/floatcheck/src/*", "benches/*.rs",
    )

    def set_version(self):
        cargo = load(self, os.path.join(self.recipe_folder, "Cargo.toml"))
        self.version = re.search(r'^version = "([^"]+)"', cargo, re.M).group(1)

    def validate(self):
        if self.settings.os != "Linux":
            raise ConanInvalidConfiguration(
                "wandb_media's recipe is tested on Linux; Windows: use the prebuilt bundles (make dist)")

    def _target_dir(self):
        return os.environ.get("WANDB_MEDIA_CARGO_TARGET_DIR") or os.path.join(self.build_folder, "target")

    def build(self):
        target = self._target_dir()
        env = dict(os.environ, CARGO_TARGET_DIR=target)
        # libvpx is linked statically from the system's libvpx.a (.cargo/config.toml), as
        # `make deps-build` sets up: the link lives in the target dir.
        vpx = os.path.join(target, "vpx-static")
        os.makedirs(vpx, exist_ok=True)
        cc = os.environ.get("CC", "cc")
        libvpx = subprocess.run([cc, "-print-file-name=libvpx.a"], capture_output=True, text=True).stdout.strip()
        link = os.path.join(vpx, "libvpx.a")
        if os.path.abspath(libvpx) == libvpx and not os.path.exists(link):
            os.symlink(libvpx, link)
        env["VPX_LIB_DIR"] = vpx
        subprocess.run(["cargo", "build", "--release", "--lib", "--bin", "wandb-media",
                        "--manifest-path", os.path.join(self.source_folder, "Cargo.toml")],
                       env=env, check=True)

    def package(self):
        env = dict(os.environ, CARGO_TARGET_DIR=self._target_dir())
        subprocess.run(["bash", os.path.join(self.source_folder, "scripts", "install.sh"),
                        self.package_folder, "--no-build"], env=env, check=True)
        lib = os.path.join(self.package_folder, "lib")
        # Conan generates the CMake package and the .pc file from package_info().
        for d in ("cmake", "pkgconfig"):
            shutil.rmtree(os.path.join(lib, d), ignore_errors=True)
        for f in os.listdir(lib):
            is_shared = ".so" in f
            if (self.options.shared and f.endswith(".a")) or (not self.options.shared and is_shared):
                os.remove(os.path.join(lib, f))
        if not self.options.shared:
            shutil.rmtree(os.path.join(lib, ".debug"), ignore_errors=True)
        copy(self, "LICENSE", self.source_folder, os.path.join(self.package_folder, "licenses"))

    def package_info(self):
        self.cpp_info.libs = ["wandb_media"]
        self.cpp_info.set_property("cmake_file_name", "wandb_media")
        self.cpp_info.set_property("cmake_target_name", "wandb_media::wandb_media")
        self.cpp_info.set_property("pkg_config_name", "wandb_media")
        if not self.options.shared:
            # What the static archive needs (Rust std, the bundled OpenH264's C++ runtime).
            self.cpp_info.system_libs = ["stdc++", "gcc_s", "util", "rt", "pthread", "m", "dl"]
        self.cpp_info.bindirs = ["bin"]
