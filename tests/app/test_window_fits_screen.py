"""`kerascanvas open` fits the window to the screen: on a 1024x700 screen the 1500x920
window hung off it, with the Properties dock and the Training tab out of reach."""

from __future__ import annotations

from kerascanvas.app.window.launch import fit_to_screen


def test_a_window_larger_than_the_screen_is_shrunk_to_it(make_window):
    window = make_window()
    free = window.screen().availableGeometry().size()
    window.resize(free.width() + 500, free.height() + 300)
    fit_to_screen(window)
    assert (window.width(), window.height()) == (free.width(), free.height())


def test_a_window_that_fits_keeps_its_size(make_window):
    window = make_window()
    free = window.screen().availableGeometry().size()
    window.resize(free.width() - 100, free.height() - 50)
    fit_to_screen(window)
    assert (window.width(), window.height()) == (free.width() - 100, free.height() - 50)
