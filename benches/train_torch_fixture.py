#!/usr/bin/env python3
"""Writes tests/fixtures/train_torch_grads.json: PyTorch's loss and gradients for small networks.

For each case (RNN tanh, RNN relu, LSTM; a regression and a classification head) it draws
weights and a batch with a fixed torch seed, runs torch.nn.RNN / torch.nn.LSTM (batch_first,
float64) with a torch.nn.Linear head on the last hidden state, MSE or cross-entropy loss, and
records the state_dict, the batch, the loss and every parameter's gradient. The Rust test
`network_matches_pytorchs_loss_and_gradients` feeds the same weights and batch to dlscope's
network and compares. Run from the repository root:

    python3 benches/train_torch_fixture.py
"""

import json

import torch

torch.set_default_dtype(torch.float64)
torch.set_num_threads(1)

CASES = [
    # name, cell, activation, input, hidden, output, batch, steps, classification
    ("rnn_tanh_regression", "rnn", "tanh", 2, 8, 1, 4, 12, False),
    ("rnn_relu_classes", "rnn", "relu", 5, 6, 4, 3, 9, True),
    ("lstm_regression", "lstm", "tanh", 2, 8, 1, 4, 12, False),
    ("lstm_classes", "lstm", "tanh", 5, 7, 4, 5, 10, True),
]


def case(name, cell, activation, inputs, hidden, outputs, batch, steps, classes):
    torch.manual_seed(sum(map(ord, name)))
    if cell == "lstm":
        rnn = torch.nn.LSTM(inputs, hidden, batch_first=True)
    else:
        rnn = torch.nn.RNN(inputs, hidden, nonlinearity=activation, batch_first=True)
    head = torch.nn.Linear(hidden, outputs)
    # Larger weights than the default, so the gates and activations leave their linear range.
    with torch.no_grad():
        for p in list(rnn.parameters()) + list(head.parameters()):
            p.mul_(2.5)
    x = torch.randn(batch, steps, inputs)
    out, _ = rnn(x)
    y = head(out[:, -1, :])
    if classes:
        target = torch.randint(0, outputs, (batch,))
        loss = torch.nn.functional.cross_entropy(y, target)
    else:
        target = torch.randn(batch)
        loss = torch.nn.functional.mse_loss(y.squeeze(1), target)
    loss.backward()
    named = [("rnn." + k, v) for k, v in rnn.named_parameters()]
    named += [("head." + k, v) for k, v in head.named_parameters()]
    return {
        "name": name,
        "cell": cell,
        "activation": activation,
        "input": inputs,
        "hidden": hidden,
        "output": outputs,
        "batch": batch,
        "steps": steps,
        "inputs": x.flatten().tolist(),
        "targets": target.tolist(),
        "loss": loss.item(),
        "params": {k: v.detach().flatten().tolist() for k, v in named},
        "grads": {k: v.grad.flatten().tolist() for k, v in named},
    }


def main():
    cases = [case(*c) for c in CASES]
    with open("tests/fixtures/train_torch_grads.json", "w") as f:
        json.dump({"torch": torch.__version__, "cases": cases}, f, separators=(",", ":"))
        f.write("\n")


if __name__ == "__main__":
    main()
