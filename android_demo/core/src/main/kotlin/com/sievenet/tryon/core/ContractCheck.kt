package com.sievenet.tryon.core

/** Shape and dtype of a tensor as the loaded model reports it (e.g. from the LiteRT interpreter). */
data class TensorInfo(val shape: List<Int>, val dtype: String)

/**
 * Checks that a contract can drive this app, and that a loaded model agrees
 * with its contract. Each check returns a list of human-readable problems
 * (empty = fine), so the app can show all of them at once.
 */
object ContractCheck {
    /**
     * Problems that stop this app from driving the model the contract describes:
     * an input the app cannot fill, a tensor whose layout the packing code does
     * not handle, a missing normalization or label colours, no try-on output.
     * Outputs of unknown encodings are ignored (the app does not show them).
     */
    fun problemsForApp(contract: ModelContract): List<String> {
        val problems = ArrayList<String>()
        val h = contract.imageHeight
        val w = contract.imageWidth
        for (spec in contract.inputs) {
            val role = ContractNames.inputRole(spec.name)
            if (role == null) {
                problems.add(
                    "input '${spec.name}' (encoding ${spec.encoding}) is not one this app can fill; " +
                        "it fills ${ContractNames.INPUTS.map { it.name }}"
                )
                continue
            }
            if (spec.encoding != role.encoding) {
                problems.add("input '${spec.name}' has encoding '${spec.encoding}', the app packs it as '${role.encoding}'")
                continue
            }
            problems.addAll(layoutProblems("input", spec, h, w))
            if (spec.encoding == ContractNames.ENCODING_IMAGE && contract.normalization[spec.encoding] == null) {
                problems.add("input '${spec.name}': the contract has no normalization for '${spec.encoding}'")
            }
            if (spec.encoding == ContractNames.ENCODING_LABEL_IDS) {
                val id = spec.labelSet
                if (id != null && contract.labelSetOrNull(id) == null) {
                    problems.add("input '${spec.name}': label_set '$id' is not in the contract's labels (${contract.labels.keys})")
                }
            }
            if (spec.encoding == ContractNames.ENCODING_KEYPOINTS && contract.keypointNames.isNotEmpty() &&
                spec.shape.size == 3 && spec.shape[1] != contract.keypointNames.size
            ) {
                problems.add(
                    "input '${spec.name}' holds ${spec.shape[1]} keypoints but keypoint_names lists " +
                        "${contract.keypointNames.size}"
                )
            }
        }
        for (name in ContractNames.REQUIRED_OUTPUTS) {
            if (contract.outputOrNull(name) == null) {
                problems.add("the contract has no output '$name'; its outputs are ${contract.outputs.map { it.name }}")
            }
        }
        for (spec in contract.outputs) {
            if (ContractNames.layout(spec.encoding) == null) continue // not shown, not a problem
            problems.addAll(layoutProblems("output", spec, h, w))
            when (spec.encoding) {
                ContractNames.ENCODING_IMAGE -> if (contract.normalization[spec.encoding] == null) {
                    problems.add("output '${spec.name}': the contract has no normalization for '${spec.encoding}'")
                }
                ContractNames.ENCODING_LABEL_IDS -> problems.addAll(labelColourProblems(contract, spec))
            }
        }
        return problems
    }

    /** Throws [IllegalArgumentException] listing every problem of [problemsForApp]. */
    fun requireUsableByApp(contract: ModelContract) {
        val problems = problemsForApp(contract)
        if (problems.isNotEmpty()) {
            throw IllegalArgumentException(
                "This app cannot drive the exported model:\n- " + problems.joinToString("\n- ")
            )
        }
    }

    /**
     * Problems between the contract and the model file: every contract tensor
     * must exist in the model's signature with the same shape and dtype, and the
     * model must not need inputs the contract does not describe.
     *
     * @param modelInputs the signature's inputs by name, as the interpreter reports them.
     * @param modelOutputs the signature's outputs by name.
     * @param modelFile the file name, for the messages.
     */
    fun problemsAgainstModel(
        contract: ModelContract,
        modelInputs: Map<String, TensorInfo>,
        modelOutputs: Map<String, TensorInfo>,
        modelFile: String
    ): List<String> {
        val problems = ArrayList<String>()
        compare("input", contract.inputs, modelInputs, modelFile, problems)
        compare("output", contract.outputs, modelOutputs, modelFile, problems)
        for (name in modelInputs.keys) {
            if (contract.inputOrNull(name) == null) {
                problems.add("$modelFile needs input '$name', which ${ContractNames.CONTRACT_FILE} does not describe")
            }
        }
        return problems
    }

    private fun compare(
        kind: String,
        specs: List<TensorSpec>,
        model: Map<String, TensorInfo>,
        modelFile: String,
        problems: MutableList<String>
    ) {
        for (spec in specs) {
            val info = model[spec.name]
            if (info == null) {
                problems.add("$kind '${spec.name}' is in ${ContractNames.CONTRACT_FILE} but not in $modelFile (it has ${model.keys})")
                continue
            }
            if (info.shape != spec.shape) {
                problems.add("$kind '${spec.name}': shape ${info.shape} in $modelFile, ${spec.shape} in ${ContractNames.CONTRACT_FILE}")
            }
            if (info.dtype != spec.dtype) {
                problems.add("$kind '${spec.name}': dtype ${info.dtype} in $modelFile, ${spec.dtype} in ${ContractNames.CONTRACT_FILE}")
            }
        }
    }

    private fun layoutProblems(kind: String, spec: TensorSpec, h: Int, w: Int): List<String> {
        val layout = ContractNames.layout(spec.encoding)
            ?: return listOf("$kind '${spec.name}' has encoding '${spec.encoding}', which this app cannot pack")
        val problems = ArrayList<String>()
        if (!layout.matches(spec.shape, h, w)) {
            problems.add(
                "$kind '${spec.name}' (${spec.encoding}) has shape ${spec.shape}; the app handles " +
                    "${layout.describe(h, w)} for image_size [$h, $w]"
            )
        }
        if (spec.dtype != layout.dtype) {
            problems.add("$kind '${spec.name}' (${spec.encoding}) has dtype ${spec.dtype}; the app handles ${layout.dtype}")
        }
        return problems
    }

    private fun labelColourProblems(contract: ModelContract, spec: TensorSpec): List<String> {
        val id = spec.labelSet ?: return listOf("output '${spec.name}': label_ids without a label_set")
        val set = contract.labelSetOrNull(id)
            ?: return listOf("output '${spec.name}': label_set '$id' is not in the contract's labels (${contract.labels.keys})")
        val colors = set.colors ?: return listOf("output '${spec.name}': label set '$id' has no colors to draw it with")
        val needed = spec.range?.let { Math.floor(it[1]).toInt() + 1 } ?: set.names.size
        return if (colors.size < needed) {
            listOf("output '${spec.name}': label set '$id' has ${colors.size} colors for $needed classes")
        } else {
            emptyList()
        }
    }
}
