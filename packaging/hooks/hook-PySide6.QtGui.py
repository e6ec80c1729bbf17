# PyInstaller's own QtGui hook, less the Qt plugins a desktop app does not load.
#
# Filtering here rather than after Analysis matters: a plugin left in is
# analysed, and the GTK theme plugin alone drags GTK, cairo and pango from the
# build machine into the bundle.

from PyInstaller.utils.hooks.qt import add_qt6_dependencies

UNWANTED = (
    "/platforms/libqeglfs", "/platforms/libqlinuxfb", "/platforms/libqvnc",
    "/platforms/libqminimalegl", "/platforms/libqvkkhrdisplay",
    "/egldeviceintegrations/", "/generic/", "/platformthemes/libqgtk3",
    "/wayland-graphics-integration-client/",
)

hiddenimports, binaries, datas = add_qt6_dependencies(__file__)
binaries = [b for b in binaries if not any(u in str(b[0]).replace("\\", "/") for u in UNWANTED)]
