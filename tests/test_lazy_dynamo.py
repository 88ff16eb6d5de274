"""torch's compiler stands in lazily in a torch worker (grader/worker/lazy_dynamo.py): a training computes the same
numbers without ever loading it, and any real use of it loads the real module, which every name then resolves to.
Each case runs in a fresh interpreter: this process may have loaded the compiler already."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

pytest.importorskip("torch")

INSTALL = '''
from grader.worker.lazy_dynamo import install
assert install()
'''
# Every common optimizer, momentum, weight decay, a schedule, a shuffling DataLoader, dropout, state dicts.
TRAINING = '''
import json, sys
import torch

torch.set_num_threads(1)
torch.manual_seed(0)
model = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Dropout(0.2), torch.nn.Linear(8, 3))
data = torch.utils.data.TensorDataset(torch.randn(64, 4), torch.randint(0, 3, (64,)))
loader = torch.utils.data.DataLoader(data, batch_size=8, shuffle=True, generator=torch.Generator().manual_seed(0))
numbers = []
for optimizer in (torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-3, nesterov=True),
                  torch.optim.Adam(model.parameters()), torch.optim.AdamW(model.parameters()),
                  torch.optim.RMSprop(model.parameters()), torch.optim.Adagrad(model.parameters())):
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, 1, 0.5)
    for epoch in range(2):
        for X, y in loader:
            loss = torch.nn.functional.cross_entropy(model(X), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            numbers.append(loss.item())
        scheduler.step()
    optimizer.load_state_dict(optimizer.state_dict())
model.eval()
numbers += model(torch.ones(2, 4)).flatten().tolist()
print(json.dumps({"numbers": numbers, "compiler": type(sys.modules.get("torch._dynamo")).__name__,
                  "loaded": sorted(m for m in sys.modules if m.startswith("torch._dynamo."))}))
'''
# After an optimizer stepped through the stand-in, a use of the compiler; then the real module must be in place.
USES = {
    "attribute": "assert isinstance(torch._dynamo.config.suppress_errors, bool)",
    "import_submodule": "import torch._dynamo.config\n"
                        "assert sys.modules['torch._dynamo.config'] is torch._dynamo.config",
    "compile": '''
double = torch.compile(lambda x: 2 * x + 1, backend="eager")
assert torch.equal(double(torch.arange(3.0)), torch.tensor([1.0, 3.0, 5.0]))

def step():
    model(torch.ones(1, 3)).sum().backward()
    optimizer.step()
    optimizer.zero_grad()

torch.compile(step, backend="eager")()
''',
}
BEFORE_USE = '''
import sys
import torch
''' + INSTALL + '''
model = torch.nn.Linear(3, 2)
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
model(torch.ones(1, 3)).sum().backward()
optimizer.step()
optimizer.zero_grad()
assert type(sys.modules["torch._dynamo"]).__name__ == "LazyDynamo"
'''
AFTER_USE = '''
from grader.worker.lazy_dynamo import LazyDynamo
real = sys.modules["torch._dynamo"]
assert not isinstance(real, LazyDynamo) and torch._dynamo is real and "torch._dynamo.convert_frame" in sys.modules
before = model.weight.detach().clone()
model(torch.ones(1, 3)).sum().backward()
optimizer.step()  # through the real compiler's graph_break and disable now
assert not torch.equal(before, model.weight)
print("ok")
'''


def run(code: str) -> str:
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def test_a_training_computes_the_same_numbers_and_never_loads_the_compiler() -> None:
    plain = json.loads(run("import torch\n" + TRAINING))
    lazy = json.loads(run("import torch\n" + INSTALL + TRAINING))
    assert plain["compiler"] == "module" and plain["loaded"]  # torch's optimizers load it, as documented
    assert (lazy["compiler"], lazy["loaded"]) == ("LazyDynamo", [])
    assert lazy["numbers"] == plain["numbers"]


@pytest.mark.parametrize("use", USES)
def test_any_use_of_the_compiler_loads_the_real_one_everywhere(use: str) -> None:
    assert run(BEFORE_USE + USES[use] + AFTER_USE).strip().endswith("ok")


def test_a_torch_workers_preload_leaves_the_compiler_unloaded_and_a_numpy_workers_leaves_torch_alone() -> None:
    probe = '''
import sys
from grader.worker.preload import preload
preload(sys.argv[1])
print(type(sys.modules.get("torch._dynamo")).__name__, "torch" in sys.modules)
'''
    for kind, seen in (("torch", "LazyDynamo True"), ("numpy", "NoneType False")):
        done = subprocess.run([sys.executable, "-c", probe, kind], capture_output=True, text=True, timeout=300)
        assert done.stdout.strip() == seen, done.stderr[-3000:]
