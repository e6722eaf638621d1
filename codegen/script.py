def to_script(module, plan, doc):
    raise NotImplementedError
