"""Run the bundled MiniLM's int8 weights as int8 matrix products.

The pinned MiniLM file stores each weight matrix as int8 with a float scale and turns it back
into float32 before multiplying (Cast, then Mul by the scale). onnxruntime folds those into
float32 constants when it loads the model, so every product runs in float32 and the int8
weights save disk space only. Here such a product becomes onnxruntime's DynamicQuantizeMatMul
on the very same int8 weights and scales: the activations are quantized to 8 bits per call
and the product runs on the CPU's integer units (bench/embedding_speed.py).

Not every product: the ones that narrow each feed-forward layer back (1,536 -> 384 wide) stay
in float. Their inputs, the GELU's outputs, have outliers that one 8-bit scale per call
cannot hold: turned too, they cost 0.018 hit@1 on doc2dial's opening turns; kept in float,
the search figures match the float model's (docs/benchmarks.md, "Embedding speed").

The rewrite is deterministic: the same input file gives the same bytes, so the result is
pinned by its own SHA-256 like every other model file (knowledge/model_files.py).
"""

from __future__ import annotations

from pathlib import Path


def rewrite(source: Path, target: Path) -> int:
    """Write `source` to `target` with each Cast(int8) -> Mul(scale) -> MatMul weight product
    turned into DynamicQuantizeMatMul, but those that narrow the feed-forward layer back;
    returns how many products were turned."""
    import numpy as np
    import onnx
    from onnx import helper, numpy_helper

    model = onnx.load(str(source))
    graph = model.graph
    constants = {t.name: t for t in graph.initializer}
    producer = {output: node for node in graph.node for output in node.output}
    readers: dict[str, int] = {}
    for node in graph.node:
        for name in node.input:
            readers[name] = readers.get(name, 0) + 1

    def int8_weight(matmul: onnx.NodeProto) -> tuple[str, np.ndarray, onnx.NodeProto, onnx.NodeProto] | None:
        """(the int8 weight's name, its scales, the Cast, the Mul) behind a MatMul's right side."""
        scale_mul = producer.get(matmul.input[1])
        if scale_mul is None or scale_mul.op_type != "Mul" or readers[scale_mul.output[0]] != 1:
            return None
        cast = producer.get(scale_mul.input[0])
        scale_name = scale_mul.input[1]
        if cast is None or cast.op_type != "Cast" or readers[cast.output[0]] != 1:
            return None
        weight_name = cast.input[0]
        if weight_name not in constants or scale_name not in constants:
            return None
        weight = numpy_helper.to_array(constants[weight_name])
        scales = numpy_helper.to_array(constants[scale_name]).astype(np.float32).reshape(-1)
        if weight.dtype != np.int8 or weight.ndim != 2 or scales.size not in (1, weight.shape[1]):
            return None
        if weight.shape[0] > weight.shape[1]:  # narrows the feed-forward layer back: stays float
            return None
        return weight_name, scales, cast, scale_mul

    nodes, folded, added = [], set(), []
    for node in graph.node:
        found = int8_weight(node) if node.op_type == "MatMul" else None
        if found is None:
            nodes.append(node)
            continue
        weight_name, scales, cast, scale_mul = found
        scale_name, zero_name = f"{weight_name}_dq_scale", f"{weight_name}_dq_zero"
        added += [numpy_helper.from_array(scales, scale_name),
                  numpy_helper.from_array(np.zeros(scales.shape, dtype=np.int8), zero_name)]
        nodes.append(helper.make_node("DynamicQuantizeMatMul", [node.input[0], weight_name, scale_name, zero_name],
                                      list(node.output), name=f"{node.name}_int8", domain="com.microsoft"))
        folded.update((cast.output[0], scale_mul.output[0]))
    kept = [n for n in nodes if not (n.op_type in ("Cast", "Mul") and n.output[0] in folded)]
    read = {name for n in kept for name in n.input}
    initializers = [t for t in graph.initializer if t.name in read] + added  # the old scales go
    del graph.node[:]
    graph.node.extend(kept)
    del graph.initializer[:]
    graph.initializer.extend(initializers)
    if not any(o.domain == "com.microsoft" for o in model.opset_import):
        model.opset_import.append(helper.make_opsetid("com.microsoft", 1))
    onnx.checker.check_model(model)
    target.write_bytes(model.SerializeToString(deterministic=True))
    return len(added) // 2
