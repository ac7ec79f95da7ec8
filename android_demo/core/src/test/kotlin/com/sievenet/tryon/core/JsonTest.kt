package com.sievenet.tryon.core

import org.junit.Assert.assertEquals
import org.junit.Assert.assertNull
import org.junit.Assert.assertTrue
import org.junit.Test

class JsonTest {
    @Test
    fun parsesScalars() {
        assertEquals(true, Json.parse("true"))
        assertEquals(false, Json.parse(" false "))
        assertNull(Json.parse("null"))
        assertEquals(42L, Json.parse("42"))
        assertEquals(-7L, Json.parse("-7"))
        assertEquals(0L, Json.parse("0"))
        assertEquals(2.5, Json.parse("2.5"))
        assertEquals(-0.00784313725490196, Json.parse("-0.00784313725490196"))
        assertEquals(1.0e-3, Json.parse("1e-3"))
        assertEquals(120.0, Json.parse("1.2E+2"))
        assertEquals("hi", Json.parse("\"hi\""))
    }

    @Test
    fun integersTooLargeForLongBecomeDoubles() {
        assertEquals(1.0e20, Json.parse("100000000000000000000"))
    }

    @Test
    fun parsesNestedStructuresKeepingKeyOrder() {
        val value = Json.parse("""{"b": [1, {"c": null}], "a": {}, "z": []}""") as Map<*, *>
        assertEquals(listOf("b", "a", "z"), value.keys.toList())
        assertEquals(listOf(1L, mapOf("c" to null)), value["b"])
        assertEquals(emptyMap<String, Any?>(), value["a"])
        assertEquals(emptyList<Any?>(), value["z"])
    }

    @Test
    fun repeatedKeyKeepsTheLastValue() {
        assertEquals(mapOf("a" to 2L), Json.parse("""{"a": 1, "a": 2}"""))
    }

    @Test
    fun decodesEscapes() {
        assertEquals("q\"b\\s/\b\u000C\n\r\t", Json.parse("\"q\\\"b\\\\s\\/\\b\\f\\n\\r\\t\""))
        assertEquals("é", Json.parse("\"\\u00e9\""))
        // A surrogate pair written as two escapes is one code point (U+1F600).
        val smiley = Json.parse("\"\\ud83d\\ude00\"") as String
        assertEquals(2, smiley.length)
        assertEquals(0x1F600, smiley.codePointAt(0))
        assertEquals("日本", Json.parse("\"日本\""))
    }

    @Test
    fun rejectsMalformedInputWithPosition() {
        val cases = listOf(
            "" to "expected a value",
            "{" to "expected a quoted key",
            "[1, 2" to "expected ',' or ']'",
            "[1,]" to "unexpected ']'",
            "{\"a\": 1,}" to "expected a quoted key",
            "{\"a\" 1}" to "expected ':'",
            "\"abc" to "unterminated string",
            "\"a\\x\"" to "invalid escape",
            "\"\\u12g4\"" to "invalid hex digit",
            "01" to "leading zeros",
            "1." to "expected a digit after '.'",
            "1e" to "expected a digit in the exponent",
            "-" to "expected a digit",
            "tru" to "expected 'true'",
            "[1] [2]" to "after the JSON value",
            "\"tab\there\"" to "control character",
            "NaN" to "unexpected 'N'"
        )
        for ((text, fragment) in cases) {
            assertIllegalArgument("JSON error at line", fragment) { Json.parse(text) }
        }
    }

    @Test
    fun reportsLineAndColumn() {
        assertIllegalArgument("line 3, column 8") { Json.parse("{\n  \"a\": 1,\n  \"b\": ?\n}") }
    }

    @Test
    fun limitsNesting() {
        assertIllegalArgument("nesting deeper than 200") { Json.parse("[".repeat(500) + "]".repeat(500)) }
        assertEquals(1, (Json.parse("[".repeat(100) + "]".repeat(100)) as List<*>).size)
    }

    @Test
    fun typedAccessNamesTheField() {
        val root = Json.parseObject("""{"n": 3, "f": 2.5, "s": "x", "a": [1, "two"], "o": {"k": true}}""", "doc")
        assertEquals(3, root.int("n"))
        assertEquals(3.0, root.double("n"), 0.0)
        assertEquals("x", root.string("s"))
        assertTrue(root.has("o"))
        assertNull(root.stringOrNull("missing"))
        assertIllegalArgument("doc.f: expected an integer, got 2.5") { root.int("f") }
        assertIllegalArgument("doc.s: expected an integer") { root.int("s") }
        assertIllegalArgument("doc: missing \"missing\"") { root.string("missing") }
        assertIllegalArgument("doc.a[1]: expected an integer, got the string \"two\"") { root.array("a").ints() }
        assertIllegalArgument("doc.o: expected an array, got an object") { root.array("o") }
        assertIllegalArgument("doc: expected a JSON object at the top level, got an array") {
            Json.parseObject("[1]", "doc")
        }
        assertEquals(4, Json.parseObject("""{"x": 4.0}""", "doc").int("x"))
    }
}
