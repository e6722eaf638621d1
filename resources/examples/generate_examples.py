"""Writes resources/examples/*.json (except digits_cnn.json and digits_search.json) with
projectfile.save.

The files hold no node positions: the window lays each example out when it opens it, with
the sizes it draws the nodes at (as for an imported model), so each column's wires run
straight; positions written here could only guess those sizes.

Usage: python resources/examples/generate_examples.py resources/examples
"""
import sys
from pathlib import Path

from kerascanvas.graph.document import Document, Edge, output_entry
from kerascanvas.graph.projectfile import save

OUT = Path(sys.argv[1])


class Builder:
    def __init__(self):
        self.doc = Document()

    def node(self, kind, name, src=None, **params):
        """A node fed by `src`: names, each "name" (its port 0) or "name:port"."""
        n = self.doc.add_node(kind, name, params)
        for port, s in enumerate([src] if isinstance(src, str) else (src or [])):
            self.doc.connect(Edge(*self.ref(s), n.id, port))
        return name

    def ref(self, text):
        """(node id, port) of "name" or "name:port"."""
        name, _, port = text.partition(":")
        return self.doc.find(name).id, int(port or 0)

    def chain(self, steps):
        prev = None
        for kind, name, params in steps:
            prev = self.node(kind, name, prev, **params)
        return prev

    def finish(self, outputs, training, path):
        self.doc.outputs = [output_entry(*self.ref(o)) for o in outputs]
        self.doc.training = training
        save(self.doc, OUT / path)


def train(loss, metrics, batch_size=32, epochs=5, **extra):
    return {"optimizer": {"name": "adam", "learning_rate": 0.001}, "loss": loss,
            "metrics": metrics, "batch_size": batch_size, "epochs": epochs,
            "validation_split": 0.1, "data": "synthetic", **extra}


SCC = "sparse_categorical_crossentropy"
HEAD = [("GlobalAveragePooling2D", "pool", {}),
        ("Dense", "classes", {"units": 10, "activation": "softmax"})]

b = Builder()
b.chain([("Input", "pixels", {"shape": [784]}),
         ("Dense", "hidden", {"units": 512, "activation": "relu"}),
         ("Dropout", "dropout", {"rate": 0.5}),
         ("Dense", "classes", {"units": 10, "activation": "softmax"})])
b.finish(["classes"], train(SCC, ["accuracy"], batch_size=128), "mnist_mlp.json")

b = Builder()
b.chain([("Input", "image", {"shape": [28, 28, 1]}),
         ("Conv2D", "conv1", {"filters": 32, "kernel_size": [3, 3], "activation": "relu"}),
         ("MaxPooling2D", "pool1", {}),
         ("Conv2D", "conv2", {"filters": 64, "kernel_size": [3, 3], "activation": "relu"}),
         ("MaxPooling2D", "pool2", {}),
         ("Flatten", "flatten", {}),
         ("Dropout", "dropout", {"rate": 0.5}),
         ("Dense", "classes", {"units": 10, "activation": "softmax"})])
b.finish(["classes"], train(SCC, ["accuracy"], batch_size=128), "mnist_cnn.json")

b = Builder()
TICKET_INPUTS = (("title", 10000, 64), ("body", 10000, 64), ("tags", 100, 16))
for name, width, units in TICKET_INPUTS:
    b.node("Input", name, shape=[width])
    b.node("Dense", f"{name}_features", name, units=units, activation="relu")
b.node("Concatenate", "features", ["title_features", "body_features", "tags_features"])
b.node("Dense", "shared", "features", units=128, activation="relu")
b.node("Dropout", "shared_dropout", "shared", rate=0.3)
b.node("Dense", "priority", "shared_dropout", units=1, activation="sigmoid")
b.node("Dense", "department", "shared_dropout", units=4, activation="softmax")
b.finish(["priority", "department"],
         train({"priority": "binary_crossentropy", "department": SCC},
               {"priority": ["accuracy"], "department": ["accuracy"]},
               loss_weights={"priority": 1.0, "department": 0.2}),
         "customer_tickets.json")

b = Builder()
b.chain([("Input", "image", {"shape": [32, 32, 3]}),
         ("Conv2D", "stem", {"filters": 64, "kernel_size": [3, 3], "padding": "same",
                             "use_bias": False}),
         ("BatchNormalization", "stem_bn", {}),
         ("ReLU", "stem_relu", {}),
         ("ResidualBlock", "res1", {"filters": 64}),
         ("ResidualBlock", "res2", {"filters": 64}),
         ("ResidualBlock", "res3", {"filters": 128, "stride": 2, "use_projection": True}),
         ("ResidualBlock", "res4", {"filters": 128}),
         *HEAD])
b.finish(["classes"], train(SCC, ["accuracy"], batch_size=64, epochs=10), "small_resnet.json")

b = Builder()
b.chain([("Input", "image", {"shape": [32, 32, 3]}),
         ("Conv2D", "stem", {"filters": 64, "kernel_size": [3, 3], "padding": "same",
                             "activation": "relu"}),
         ("InceptionModule", "inception1", {"filters": 32}),
         ("MaxPooling2D", "downsample", {}),
         ("InceptionModule", "inception2", {"filters": 64}),
         *HEAD])
b.finish(["classes"], train(SCC, ["accuracy"], batch_size=64, epochs=10), "inception_net.json")

b = Builder()
b.chain([("Input", "image", {"shape": [32, 32, 3]}),
         ("Conv2D", "stem", {"filters": 24, "kernel_size": [3, 3], "padding": "same",
                             "use_bias": False}),
         ("DenseBlock", "dense1", {"num_layers": 4, "growth_rate": 12}),
         ("TransitionLayer", "transition1", {"compression": 0.5}),
         ("DenseBlock", "dense2", {"num_layers": 4, "growth_rate": 12}),
         ("BatchNormalization", "final_bn", {}),
         ("ReLU", "final_relu", {}),
         *HEAD])
b.finish(["classes"], train(SCC, ["accuracy"], batch_size=64, epochs=10), "densenet_small.json")

b = Builder()
b.chain([("Input", "tokens", {"shape": [100], "dtype": "int32"}),
         ("Embedding", "embedding", {"input_dim": 10000, "output_dim": 64}),
         ("LSTM", "lstm", {"units": 64}),
         ("Dense", "sentiment", {"units": 1, "activation": "sigmoid"})])
b.finish(["sentiment"], train("binary_crossentropy", ["accuracy"], batch_size=64),
         "text_classifier.json")

# An LSTM reads a token sequence and gives every step's output and its final states (h, c);
# self-attention over the steps gives a summary, which joins the final states to classify.
# The attention scores are a second model output, for inspection: their loss weight is 0.
b = Builder()
b.chain([("Input", "tokens", {"shape": [32], "dtype": "int32"}),
         ("Embedding", "embedding", {"input_dim": 2000, "output_dim": 32}),
         ("LSTM", "encoder", {"units": 32, "return_sequences": True, "return_state": True})])
b.node("MultiHeadAttention", "attention", ["encoder", "encoder"], num_heads=2, key_dim=16,
       return_attention_scores=True)
b.node("GlobalAveragePooling1D", "summary", "attention")
b.node("Concatenate", "features", ["summary", "encoder:1", "encoder:2"])
b.node("Dense", "topic", "features", units=4, activation="softmax")
b.finish(["topic", "attention:1"],
         train({"topic": SCC, "attention_1": "mse"}, {"topic": ["accuracy"]},
               loss_weights={"topic": 1.0, "attention_1": 0.0}),
         "attention_states.json")

# Sequence to sequence: the encoder LSTM reads the source tokens and gives its final states
# (h, c), which start the decoder LSTM (initial_state) as it reads the target tokens shifted
# by one; each decoder step predicts the next target token.
b = Builder()
b.chain([("Input", "source", {"shape": [12], "dtype": "int32"}),
         ("Embedding", "source_embedding", {"input_dim": 40, "output_dim": 16}),
         ("LSTM", "encoder", {"units": 32, "return_state": True})])
b.chain([("Input", "target", {"shape": [10], "dtype": "int32"}),
         ("Embedding", "target_embedding", {"input_dim": 40, "output_dim": 16})])
b.node("LSTM", "decoder", ["target_embedding", "encoder:1", "encoder:2"], units=32,
       return_sequences=True, initial_state=True)
b.node("Dense", "next_token", "decoder", units=40, activation="softmax")
b.finish(["next_token"], train(SCC, ["accuracy"]), "seq2seq.json")
