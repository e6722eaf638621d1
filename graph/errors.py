"""Error types of the core. Every failure the core reports is one of these."""


class KerasCanvasError(Exception):
    """Base class for all errors the project raises on purpose."""


class ParamError(KerasCanvasError, ValueError):
    """A parameter value was refused. `param` names the parameter."""

    def __init__(self, message: str, param: str | None = None):
        super().__init__(message)
        self.param = param


class ShapeError(KerasCanvasError, ValueError):
    """A shape rule refused its inputs. `port` is the input port at fault, if known."""

    def __init__(self, message: str, port: int | None = None):
        super().__init__(message)
        self.port = port


class ProjectFileError(KerasCanvasError):
    """A project file could not be read. `field` is a JSON path such as `nodes[2].kind`;
    `nodes` are the ids of the nodes at fault, when the refusal is about some (a cycle)."""

    def __init__(self, message: str, field: str | None = None, path: str | None = None,
                 nodes: tuple[str, ...] = ()):
        where = []
        if path:
            where.append(str(path))
        if field:
            where.append(f"field {field}")
        text = f"{': '.join(where)}: {message}" if where else message
        super().__init__(text)
        self.field = field
        self.path = path
        self.reason = message
        self.nodes = tuple(nodes)


class DocumentError(KerasCanvasError):
    """An edit to the document was refused (unknown node, duplicate name, cycle...)."""
