package com.sievenet.tryon.core

/** One bundled person or garment: its id and folder under `samples/`. */
data class SampleEntry(val id: String, val dir: String, val title: String)

/**
 * `assets/samples/index.json`, written by android_demo/tools/make_samples.py:
 *
 * ```json
 * {"format_version": 1, "image_size": [64, 48], "parse_label_set": "lip",
 *  "keypoint_format": "coco18",
 *  "persons":  [{"id": "person_0", "dir": "persons/0", "title": "..."}],
 *  "garments": [{"id": "garment_0", "dir": "garments/0", "title": "..."}]}
 * ```
 *
 * A person folder holds [PERSON_PHOTO], [PARSE_IDS] (what the app reads),
 * [PARSE_PREVIEW] (a palette PNG for people and the Python tools) and
 * [KEYPOINTS]; a garment folder holds [CLOTH_PHOTO] and [CLOTH_MASK].
 */
data class SampleIndex(
    val parseLabelSet: String,
    val keypointFormat: String?,
    val persons: List<SampleEntry>,
    val garments: List<SampleEntry>
) {
    /**
     * Problems feeding these samples to a model: the parses must use the label
     * set the model's parse input expects (a VITON-HD model reads other ids
     * than a VITON one).
     */
    fun problemsWith(contract: ModelContract): List<String> {
        val spec = contract.inputOrNull(ContractNames.PARSE) ?: return emptyList()
        val expected = spec.labelSet ?: return emptyList()
        val set = contract.labelSetOrNull(expected)
        val accepted = listOf(expected, set?.key, set?.name).filterNotNull()
        return if (parseLabelSet in accepted) {
            emptyList()
        } else {
            listOf(
                "the sample parses use label set '$parseLabelSet' but the model's '${spec.name}' input expects " +
                    "'$expected'; regenerate the samples for this model (android_demo/tools/make_samples.py)"
            )
        }
    }

    companion object {
        const val FILE = "index.json"
        const val PERSON_PHOTO = "person.jpg"
        const val PARSE_IDS = "parse.npy"
        const val PARSE_PREVIEW = "parse.png"
        const val KEYPOINTS = "keypoints.json"
        const val CLOTH_PHOTO = "cloth.jpg"
        const val CLOTH_MASK = "cloth_mask.jpg"

        fun parse(text: String): SampleIndex {
            val root = Json.parseObject(text, "samples/$FILE")
            val version = root.int("format_version")
            if (version != 1) throw JsonException("samples/$FILE: format_version $version, this app reads 1")
            return SampleIndex(
                parseLabelSet = root.string("parse_label_set"),
                keypointFormat = root.stringOrNull("keypoint_format"),
                persons = entries(root.array("persons")),
                garments = entries(root.array("garments"))
            )
        }

        private fun entries(array: JsonArrayView): List<SampleEntry> = (0 until array.size).map { i ->
            val entry = array.obj(i)
            val id = entry.string("id")
            SampleEntry(id = id, dir = entry.string("dir"), title = entry.stringOrNull("title") ?: id)
        }
    }
}
