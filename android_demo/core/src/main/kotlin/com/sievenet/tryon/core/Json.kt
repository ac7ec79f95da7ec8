package com.sievenet.tryon.core

/**
 * A small JSON reader (RFC 8259) for the model contract and the sample files.
 *
 * The core module compiles with Kotlin 1.3 (Debian's kotlinc, used by CI) and
 * runs without Android, so it can use neither org.json (an Android API) nor
 * kotlinx.serialization. Values become plain Kotlin values:
 *
 * | JSON          | Kotlin                                                    |
 * |---------------|-----------------------------------------------------------|
 * | object        | `Map<String, Any?>`, key order kept; a repeated key keeps its last value |
 * | array         | `List<Any?>`                                              |
 * | string        | `String`                                                  |
 * | number        | `Long` if written without fraction or exponent and in range, else `Double` |
 * | true / false  | `Boolean`                                                 |
 * | null          | `null`                                                    |
 *
 * [JsonObject] and [JsonArray] wrap the maps and lists with typed getters whose
 * errors name the offending field, e.g. `model_contract.json.inputs[2].shape`.
 */
object Json {
    /** Parses one JSON document; throws [JsonException] with line and column on bad input. */
    fun parse(text: String): Any? = Parser(text).parseDocument()

    /** Parses a document whose root must be an object; [name] starts the error paths. */
    fun parseObject(text: String, name: String): JsonObject {
        val root = parse(text)
        if (root !is Map<*, *>) {
            throw JsonException("$name: expected a JSON object at the top level, got ${describe(root)}")
        }
        @Suppress("UNCHECKED_CAST")
        return JsonObject(root as Map<String, Any?>, name)
    }

    /** Short description of a parsed value for error messages. */
    fun describe(value: Any?): String = when (value) {
        null -> "null"
        is String -> "the string \"" + (if (value.length > 40) value.substring(0, 40) + "..." else value) + "\""
        is Map<*, *> -> "an object"
        is List<*> -> "an array"
        is Boolean -> value.toString()
        else -> value.toString()
    }
}

/** Malformed JSON, or a value of the wrong type or range; an [IllegalArgumentException]. */
class JsonException(message: String) : IllegalArgumentException(message)

/** Typed, path-aware read access to a parsed JSON object. Unknown keys are simply never read. */
class JsonObject(val map: Map<String, Any?>, val path: String) {
    val keys: Set<String> get() = map.keys

    /** True when the key is present and not null. */
    fun has(key: String): Boolean = map[key] != null

    fun string(key: String): String = stringOrNull(key) ?: throw missing(key, "a string")

    fun stringOrNull(key: String): String? {
        val value = map[key] ?: return null
        return value as? String ?: throw wrongType(key, "a string", value)
    }

    fun int(key: String): Int = intOrNull(key) ?: throw missing(key, "an integer")

    fun intOrNull(key: String): Int? {
        val value = map[key] ?: return null
        return asInt(value, "$path.$key")
    }

    fun double(key: String): Double = doubleOrNull(key) ?: throw missing(key, "a number")

    fun doubleOrNull(key: String): Double? {
        val value = map[key] ?: return null
        return asDouble(value, "$path.$key")
    }

    fun obj(key: String): JsonObject = objOrNull(key) ?: throw missing(key, "an object")

    fun objOrNull(key: String): JsonObject? {
        val value = map[key] ?: return null
        if (value !is Map<*, *>) throw wrongType(key, "an object", value)
        @Suppress("UNCHECKED_CAST")
        return JsonObject(value as Map<String, Any?>, "$path.$key")
    }

    fun array(key: String): JsonArray = arrayOrNull(key) ?: throw missing(key, "an array")

    fun arrayOrNull(key: String): JsonArray? {
        val value = map[key] ?: return null
        if (value !is List<*>) throw wrongType(key, "an array", value)
        return JsonArray(value, "$path.$key")
    }

    private fun missing(key: String, what: String) =
        JsonException("$path: missing \"$key\" (expected $what)")

    private fun wrongType(key: String, what: String, value: Any?) =
        JsonException("$path.$key: expected $what, got ${Json.describe(value)}")
}

/** Typed, path-aware read access to a parsed JSON array. */
class JsonArray(val list: List<Any?>, val path: String) {
    val size: Int get() = list.size

    fun string(index: Int): String {
        val value = list[index]
        return value as? String ?: throw JsonException("${at(index)}: expected a string, got ${Json.describe(value)}")
    }

    fun int(index: Int): Int = asInt(list[index], at(index))

    fun double(index: Int): Double = asDouble(list[index], at(index))

    fun obj(index: Int): JsonObject {
        val value = list[index]
        if (value !is Map<*, *>) throw JsonException("${at(index)}: expected an object, got ${Json.describe(value)}")
        @Suppress("UNCHECKED_CAST")
        return JsonObject(value as Map<String, Any?>, at(index))
    }

    fun array(index: Int): JsonArray {
        val value = list[index]
        if (value !is List<*>) throw JsonException("${at(index)}: expected an array, got ${Json.describe(value)}")
        return JsonArray(value, at(index))
    }

    fun ints(): List<Int> = (0 until size).map { int(it) }

    fun doubles(): List<Double> = (0 until size).map { double(it) }

    fun strings(): List<String> = (0 until size).map { string(it) }

    private fun at(index: Int) = "$path[$index]"
}

private fun asInt(value: Any?, path: String): Int {
    val number = value as? Number
        ?: throw JsonException("$path: expected an integer, got ${Json.describe(value)}")
    if (number is Double) {
        // 3.0 is an integer written by a float-minded writer; 3.5 is not.
        if (number != Math.floor(number) || Math.abs(number) > Int.MAX_VALUE) {
            throw JsonException("$path: expected an integer, got $number")
        }
        return number.toInt()
    }
    val long = number.toLong()
    if (long < Int.MIN_VALUE || long > Int.MAX_VALUE) throw JsonException("$path: $long does not fit in an Int")
    return long.toInt()
}

private fun asDouble(value: Any?, path: String): Double {
    val number = value as? Number ?: throw JsonException("$path: expected a number, got ${Json.describe(value)}")
    return number.toDouble()
}

private class Parser(private val text: String) {
    private var pos = 0
    private var depth = 0

    fun parseDocument(): Any? {
        skipWhitespace()
        val value = parseValue()
        skipWhitespace()
        if (pos != text.length) fail("unexpected '${text[pos]}' after the JSON value")
        return value
    }

    private fun parseValue(): Any? {
        if (pos >= text.length) fail("unexpected end of input, expected a value")
        val c = text[pos]
        return when {
            c == '{' -> parseObject()
            c == '[' -> parseArray()
            c == '"' -> parseString()
            c == 't' -> literal("true", true)
            c == 'f' -> literal("false", false)
            c == 'n' -> literal("null", null)
            c == '-' || c in '0'..'9' -> parseNumber()
            else -> fail("unexpected '$c', expected a value")
        }
    }

    private fun parseObject(): Map<String, Any?> {
        enter()
        pos++ // '{'
        val result = LinkedHashMap<String, Any?>()
        skipWhitespace()
        if (peek() == '}') {
            pos++
            depth--
            return result
        }
        while (true) {
            skipWhitespace()
            if (peek() != '"') fail("expected a quoted key")
            val key = parseString()
            skipWhitespace()
            expect(':')
            skipWhitespace()
            result[key] = parseValue()
            skipWhitespace()
            when (peek()) {
                ',' -> pos++
                '}' -> {
                    pos++
                    depth--
                    return result
                }
                else -> fail("expected ',' or '}' in an object")
            }
        }
    }

    private fun parseArray(): List<Any?> {
        enter()
        pos++ // '['
        val result = ArrayList<Any?>()
        skipWhitespace()
        if (peek() == ']') {
            pos++
            depth--
            return result
        }
        while (true) {
            skipWhitespace()
            result.add(parseValue())
            skipWhitespace()
            when (peek()) {
                ',' -> pos++
                ']' -> {
                    pos++
                    depth--
                    return result
                }
                else -> fail("expected ',' or ']' in an array")
            }
        }
    }

    private fun parseString(): String {
        pos++ // opening quote
        val out = StringBuilder()
        while (true) {
            if (pos >= text.length) fail("unterminated string")
            val c = text[pos++]
            when {
                c == '"' -> return out.toString()
                c == '\\' -> {
                    if (pos >= text.length) fail("unterminated escape")
                    val e = text[pos++]
                    when (e) {
                        '"' -> out.append('"')
                        '\\' -> out.append('\\')
                        '/' -> out.append('/')
                        'b' -> out.append('\b')
                        'f' -> out.append('\u000C')
                        'n' -> out.append('\n')
                        'r' -> out.append('\r')
                        't' -> out.append('\t')
                        'u' -> out.append(parseHex4())
                        else -> {
                            pos--
                            fail("invalid escape '\\$e'")
                        }
                    }
                }
                c < ' ' -> {
                    pos--
                    fail("control character in a string (escape it)")
                }
                // Surrogate pairs written as two \u escapes, or raw, both end up as
                // two UTF-16 chars in a Kotlin String, which is what a String holds.
                else -> out.append(c)
            }
        }
    }

    private fun parseHex4(): Char {
        if (pos + 4 > text.length) fail("truncated \\u escape")
        var code = 0
        for (i in 0 until 4) {
            val digit = Character.digit(text[pos + i], 16)
            if (digit < 0) fail("invalid hex digit '${text[pos + i]}' in a \\u escape")
            code = code * 16 + digit
        }
        pos += 4
        return code.toChar()
    }

    private fun parseNumber(): Any {
        val start = pos
        if (peek() == '-') pos++
        if (peek() == '0') {
            pos++
            if (peek() in '0'..'9') fail("leading zeros are not allowed in JSON numbers")
        } else if (peek() in '1'..'9') {
            while (peek() in '0'..'9') pos++
        } else {
            fail("expected a digit")
        }
        var integral = true
        if (peek() == '.') {
            integral = false
            pos++
            if (peek() !in '0'..'9') fail("expected a digit after '.'")
            while (peek() in '0'..'9') pos++
        }
        if (peek() == 'e' || peek() == 'E') {
            integral = false
            pos++
            if (peek() == '+' || peek() == '-') pos++
            if (peek() !in '0'..'9') fail("expected a digit in the exponent")
            while (peek() in '0'..'9') pos++
        }
        val literal = text.substring(start, pos)
        if (integral) {
            val asLong = literal.toLongOrNull()
            if (asLong != null) return asLong
        }
        return literal.toDouble()
    }

    private fun literal(word: String, value: Any?): Any? {
        if (!text.startsWith(word, pos)) fail("unexpected token, expected '$word'")
        pos += word.length
        return value
    }

    private fun enter() {
        depth++
        // Contracts nest 4 deep; this only stops a hostile file from overflowing the stack.
        if (depth > 200) fail("nesting deeper than 200 levels")
    }

    private fun expect(c: Char) {
        if (peek() != c) fail("expected '$c'")
        pos++
    }

    /** The current char, or NUL at the end (NUL never starts a valid token). */
    private fun peek(): Char = if (pos < text.length) text[pos] else '\u0000'

    private fun skipWhitespace() {
        while (pos < text.length) {
            val c = text[pos]
            if (c == ' ' || c == '\n' || c == '\r' || c == '\t') pos++ else return
        }
    }

    private fun fail(message: String): Nothing {
        var line = 1
        var column = 1
        for (i in 0 until Math.min(pos, text.length)) {
            if (text[i] == '\n') {
                line++
                column = 1
            } else {
                column++
            }
        }
        throw JsonException("JSON error at line $line, column $column: $message")
    }
}
