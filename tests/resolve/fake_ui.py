"""Just enough of Fusion's UIManager (fu.UIManager, bmd.UIDispatcher) to drive the script's window
(the widgets the UIManager sample scripts in Resolve's Developer/Scripting/Examples use).

The dispatcher's RunLoop plays a script of editor actions instead of waiting for clicks.
"""

from __future__ import annotations

import time


class Handlers:
    """`window.On.Score.Clicked = fn`: per-ID namespaces that keep what is assigned."""

    def __init__(self):
        self.__dict__["_ids"] = {}

    def __getattr__(self, name):
        return self._ids.setdefault(name, Handlers())

    def __setattr__(self, name, value):
        self._ids[name] = value


class Widget:
    def __init__(self, kind: str, props: dict):
        self.kind, self.ID = kind, props.get("ID")
        self.Text = props.get("Text", "")
        self.items: list[str] = []
        self.CurrentIndex = -1
        self.Checked = bool(props.get("Checked", False))

    def AddItem(self, text):
        self.items.append(text)
        if self.CurrentIndex < 0:
            self.CurrentIndex = 0


class Timer:
    def __init__(self, props):
        self.props, self.running = props, False

    def Start(self):
        self.running = True

    def Stop(self):
        self.running = False


class UIManager:
    def __init__(self):
        self.widgets: list[Widget] = []
        self.timers: list[Timer] = []

    def _widget(self, kind, props):
        widget = Widget(kind, props)
        self.widgets.append(widget)
        return widget

    def Label(self, props):
        return self._widget("Label", props)

    def LineEdit(self, props):
        return self._widget("LineEdit", props)

    def ComboBox(self, props):
        return self._widget("ComboBox", props)

    def Button(self, props):
        return self._widget("Button", props)

    def CheckBox(self, props):
        return self._widget("CheckBox", props)

    def VGroup(self, children):
        return list(children)

    def HGroup(self, children):
        return list(children)

    def Timer(self, props):
        timer = Timer(props)
        self.timers.append(timer)
        return timer


class Window:
    def __init__(self, ui: UIManager):
        self.ui, self.On, self.shown = ui, Handlers(), False

    def GetItems(self):
        return {w.ID: w for w in self.ui.widgets if w.ID}

    def Show(self):
        self.shown = True

    def Hide(self):
        self.shown = False


class Dispatcher:
    def __init__(self, ui: UIManager, actions):
        self.ui, self.On, self.actions, self.exited = ui, Handlers(), actions, False
        self.window: Window | None = None

    def AddWindow(self, props, layout):
        self.window = Window(self.ui)
        return self.window

    def RunLoop(self):
        self.actions(self)

    def ExitLoop(self):
        self.exited = True

    def click(self, button_id: str):
        getattr(self.window.On, button_id).Clicked({"who": button_id})

    def wait_for_timer(self, limit_s: float = 60):
        """Fire Timeout while the timer runs, the way Qt would every Interval."""
        deadline = time.monotonic() + limit_s
        while any(t.running for t in self.ui.timers) and time.monotonic() < deadline:
            self.On.Timeout({"who": "timer"})
            time.sleep(0.05)


class Fusion:
    """`fu`: its UIManager is Studio-only from Resolve 19.1. On the free edition reading it brings
    up the Studio upsell dialog (cuebridge issue 13's review of Resolve 19.1+ free), and while that
    dialog is up later calls fail ([truth: Studio-gated calls on the free edition raise a modal
    that blocks LATER calls], github.com/samuelgursky/davinci-resolve-mcp api-limitations.md)."""

    def __init__(self, ui: UIManager, resolve=None):
        self._ui, self._resolve = ui, resolve
        self.reads = 0

    @property
    def UIManager(self):
        self.reads += 1
        if self._resolve is not None and not self._resolve.has_script_windows():
            self._resolve.studio_gate()
            return None
        return self._ui


class Bmd:
    def __init__(self, actions):
        self.actions = actions
        self.dispatcher: Dispatcher | None = None

    def UIDispatcher(self, ui):
        self.dispatcher = Dispatcher(ui, self.actions)
        return self.dispatcher

    def scriptapp(self, name):
        return None
