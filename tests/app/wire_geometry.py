"""Geometry of the wires drawn on the canvas, for GUI tests: where a pipe's path runs
against its ports and the nodes around it."""

from __future__ import annotations

from PySide6 import QtCore


def path_points(pipe) -> list[tuple[float, float]]:
    path = pipe.path()
    return [(path.elementAt(i).x, path.elementAt(i).y) for i in range(path.elementCount())]


def routed_again(pipes) -> dict:
    """Each pipe's path as routing it afresh gives (the pipes are drawn again)."""
    for pipe in pipes:
        pipe.draw_path(pipe.input_port, pipe.output_port)
    return {pipe: path_points(pipe) for pipe in pipes}


def wire_points(pipe, count: int = 400) -> list[QtCore.QPointF]:
    """Points along the wire, from its output port to its input port."""
    path, out = pipe.path(), pipe.output_port.sceneBoundingRect().center()
    points = [path.pointAtPercent(k / count) for k in range(count + 1)]
    return points if (points[0] - out).manhattanLength() < 1e-6 else points[::-1]


def wire_faults(pipe, nodes) -> list[str]:
    """What is wrong with how the wire runs: it must start on its output port and leave it
    downward, end on its input port coming from above, never cross itself, and pass
    through none of `nodes` (node items, its own two included)."""
    points, faults = wire_points(pipe), []
    out = pipe.output_port.sceneBoundingRect().center()
    into = pipe.input_port.sceneBoundingRect().center()
    if (points[0] - out).manhattanLength() > 1e-6 or (points[-1] - into).manhattanLength() > 1e-6:
        faults.append(f"ends at {points[0]}, {points[-1]}, not at ports {out}, {into}")
    if not _downward(points[0], points[1]):
        faults.append(f"leaves its port towards {points[1]}, not down")
    if not _downward(points[-2], points[-1]):
        faults.append(f"enters its port from {points[-2]}, not from above")
    faults += [f"passes through {node.name}" for node in nodes
               if any(node.sceneBoundingRect().adjusted(1, 1, -1, -1).contains(p)
                      for p in points)]
    if _crossing(pipe.path()):
        faults.append("crosses itself")
    return faults


def _downward(a: QtCore.QPointF, b: QtCore.QPointF) -> bool:
    """Whether the step from a to b heads down (within 15 degrees of straight down)."""
    return b.y() > a.y() and abs(b.x() - a.x()) < 0.27 * (b.y() - a.y())


def _crossing(path) -> bool:
    """Whether two runs of the path, flattened into lines by Qt, cross."""
    (polygon,) = path.toSubpathPolygons()
    points = [polygon.at(i) for i in range(polygon.size())]
    lines = [QtCore.QLineF(a, b) for a, b in zip(points, points[1:], strict=False) if a != b]
    for i, line in enumerate(lines):
        for other in lines[i + 2:]:
            kind, _ = line.intersects(other)
            if kind == QtCore.QLineF.IntersectionType.BoundedIntersection:
                return True
    return False



def third_node_crossings(pipes, nodes) -> list[tuple]:
    """(pipe, node) for each wire that runs through a node other than its own two ends
    (the node's box less 1 unit all round, so a wire along its edge does not count),
    from points along the wire at most 2 units apart."""
    boxes = [(node, node.sceneBoundingRect().adjusted(1, 1, -1, -1)) for node in nodes]
    found = []
    for pipe in pipes:
        ends = {pipe.input_port.node, pipe.output_port.node}
        path = pipe.path()
        near = [(n, box) for n, box in boxes
                if n not in ends and box.intersects(path.boundingRect())]
        if near:
            points = wire_points(pipe, max(50, int(path.length() / 2)))
            found += [(pipe, n) for n, box in near if any(box.contains(p) for p in points)]
    return found


def wire_crossings(pipes) -> list[tuple]:
    """(pipe, pipe) for each two wires whose drawn paths (flattened into lines by Qt)
    cross; wires that share a port (one tensor fanned out, or two into one port) are not
    compared, as they meet at that port anyway."""
    lines = {}
    for pipe in pipes:
        points = [p for polygon in pipe.path().toSubpathPolygons()
                  for p in (polygon.at(i) for i in range(polygon.size()))]
        lines[pipe] = [QtCore.QLineF(a, b) for a, b in zip(points, points[1:], strict=False)
                       if a != b]
    boxes = {pipe: pipe.path().boundingRect() for pipe in pipes}
    found = []
    for i, pipe in enumerate(pipes):
        for other in pipes[i + 1:]:
            if (pipe.output_port is other.output_port or pipe.input_port is other.input_port
                    or not boxes[pipe].intersects(boxes[other])):
                continue
            if any(a.intersects(b)[0] == QtCore.QLineF.IntersectionType.BoundedIntersection
                   for a in lines[pipe] for b in lines[other]):
                found.append((pipe, other))
    return found
