# Replaces the contrib hook, which copies the metadata of a distribution named "webrtcvad";
# this project installs the same module from "webrtcvad-wheels", so that hook fails the build
# ("Failed to import module __PyInstaller_hooks_0_webrtcvad"). Copy the metadata under the
# name that is actually installed.
from PyInstaller.utils.hooks import copy_metadata

datas = copy_metadata("webrtcvad-wheels")
