"""Event-loop waits shared by the GUI benchmark scripts (run as scripts: this folder is on sys.path)."""

from PySide6.QtCore import QEventLoop, QTimer


def wait(signal, accept=lambda *a: True, timeout=120.0) -> tuple:
    """Spin the event loop until ``signal`` fires with arguments ``accept`` likes."""
    loop = QEventLoop()
    got: list[tuple] = []

    def slot(*args):
        if accept(*args):
            got.append(args)
            loop.quit()

    signal.connect(slot)
    QTimer.singleShot(int(timeout * 1000), loop.quit)
    loop.exec()
    signal.disconnect(slot)
    if not got:
        raise TimeoutError(f"no {signal} within {timeout} s")
    return got[0]
