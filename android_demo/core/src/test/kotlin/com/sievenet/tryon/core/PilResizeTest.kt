package com.sievenet.tryon.core

import org.junit.Assert.assertArrayEquals
import org.junit.Assert.assertEquals
import org.junit.Assert.assertNotEquals
import org.junit.Assert.assertSame
import org.junit.Test

/**
 * [PilResize] against Pillow 13.0.0 (`Image.resize(..., Image.BILINEAR)`) and the
 * project's own `sievenet_tf.data.io.fit_image`, on a synthetic image both sides
 * compute from the same formula ([source]). The references were printed by
 *
 * ```python
 * y, x = np.mgrid[0:h, 0:w]
 * rgb = np.stack([(x * 37 + y * 11) % 256, (x * x * 3 + y * y * 5 + 7) % 256,
 *                 ((x + 1) * (y + 2) * 13) % 256], -1).astype(np.uint8)
 * np.asarray(Image.fromarray(rgb).resize((ow, oh), Image.BILINEAR))   # or io.fit_image(rgb, (H, W))
 * ```
 *
 * as 0xRRGGBB per pixel, row by row. The pass order was checked separately: 500
 * random sizes (1-90 in, 1-100 out) agree bit for bit with Pillow 13.0.0.
 */
class PilResizeTest {
    private fun source(width: Int, height: Int): ArgbImage = ArgbImage(width, height, IntArray(width * height) { i ->
        val x = i % width
        val y = i / width
        ArgbImage.argb((x * 37 + y * 11) % 256, (x * x * 3 + y * y * 5 + 7) % 256, ((x + 1) * (y + 2) * 13) % 256)
    })

    private fun rgb(image: ArgbImage): IntArray = IntArray(image.pixels.size) { image.pixels[it] and 0xFFFFFF }

    /** (sum of the r, g, b values, hash h = 31 * h + v over them in order), as the Python side printed. */
    private fun checksum(image: ArgbImage): Pair<Long, Int> {
        var sum = 0L
        var hash = 0
        for (p in image.pixels) {
            for (v in intArrayOf(ArgbImage.red(p), ArgbImage.green(p), ArgbImage.blue(p))) {
                sum += v
                hash = hash * 31 + v
            }
        }
        return Pair(sum, hash)
    }

    private val down13x9to5x4 = intArrayOf(
        0x30134C, 0x853289, 0x977C83, 0x49A972, 0x9E8483, 0x463A75, 0x9B596D, 0x969C71,
        0x5F7E6B, 0xB48B77, 0x609082, 0xB29871, 0x65877C, 0x797873, 0xC8868F, 0x76917D,
        0xAC5F6B, 0x4E7669, 0x8F8557, 0xA68B77
    )

    private val up4x3to9x7 = intArrayOf(
        0x00071A, 0x06081E, 0x17092A, 0x270B35, 0x380F41, 0x48124D, 0x581958, 0x691F64,
        0x6F2268, 0x02081C, 0x080920, 0x190A2D, 0x290C39, 0x3A1046, 0x4A1352, 0x5A1A5E,
        0x6B206B, 0x71236F, 0x060A21, 0x0C0B27, 0x1D0C36, 0x2D0E44, 0x3E1254, 0x4E1563,
        0x5E1C71, 0x6F2280, 0x752586, 0x0B0C27, 0x110D2E, 0x220E3F, 0x321050, 0x431462,
        0x531773, 0x631E84, 0x742495, 0x7A279C, 0x10122D, 0x161334, 0x271448, 0x37165C,
        0x481A70, 0x581D83, 0x682497, 0x792AAA, 0x7F2DB2, 0x141932, 0x1A1A3B, 0x2B1B51,
        0x3B1D67, 0x4C217D, 0x5C2494, 0x6C2BAA, 0x7D31C0, 0x8334C9, 0x161B34, 0x1C1C3D,
        0x2D1D54, 0x3D1F6B, 0x4E2382, 0x5E2699, 0x6E2DB0, 0x7F33C7, 0x8536D0
    )

    private val verticalFirst7x29to9x6 = intArrayOf(
        0x1A3139, 0x33335F, 0x4F387E, 0x6C4087, 0x894C74, 0xA65C6B, 0xC36A7B, 0xCA7D82,
        0xB79371, 0x4A9E72, 0x63A081, 0x7F8782, 0x9C6977, 0xB9756D, 0xC48569, 0x9A806F,
        0x607A7A, 0x357D85, 0x7F9DB1, 0x989F7E, 0xB49376, 0xC78687, 0xC09271, 0x5A686F,
        0x3A6B80, 0x447A91, 0x5D7F96, 0xB56CA3, 0xC26E98, 0xAA738A, 0x727B7E, 0x388775,
        0x457474, 0x5E7E78, 0x7A8577, 0x937A6F, 0xC67934, 0x6F7B53, 0x3C8071, 0x3C8882,
        0x599479, 0x768679, 0x939170, 0xAF9571, 0xC88580, 0x394867, 0x3D4A94, 0x4F4F93,
        0x6C5779, 0x896381, 0xA67376, 0xC3877F, 0xC39E8F, 0xA3B49C
    )

    private val horizontalFirst7x29to9x6 = intArrayOf(
        0x1A3139, 0x33335F, 0x4F387D, 0x6C4086, 0x894C74, 0xA65C6B, 0xC36A7C, 0xC97D83,
        0xB79371, 0x4A9E72, 0x63A081, 0x7F8782, 0x9C6977, 0xB9756D, 0xC48569, 0x9A806F,
        0x607A7A, 0x357D85, 0x7F9DB1, 0x989F7E, 0xB49376, 0xC78687, 0xC09271, 0x5A676E,
        0x3B6B80, 0x447A91, 0x5D7F96, 0xB56CA3, 0xC36E97, 0xAA738A, 0x727B7E, 0x388775,
        0x457474, 0x5E7E78, 0x7A8577, 0x937A6F, 0xC67934, 0x6F7B53, 0x3C8071, 0x3C8881,
        0x599479, 0x768579, 0x939170, 0xAF9571, 0xC88580, 0x394867, 0x3D4A94, 0x4F4F93,
        0x6C5779, 0x896381, 0xA67377, 0xC3877F, 0xC39E8F, 0xA3B49C
    )

    private val widthOnly20x5to7x5 = intArrayOf(
        0x2C0E39, 0x8D377D, 0x6990B7, 0x609A47, 0x9C625B, 0x465AA5, 0x937DA5, 0x371356,
        0x983CA8, 0x749558, 0x6B9F9A, 0xA76796, 0x515F77, 0x9E829A, 0x422272, 0xA34B5F,
        0x7F957E, 0x766458, 0xB27689, 0x5C6E5E, 0xA9918E, 0x4D3B73, 0xAE645D, 0x8AAE64,
        0x817D75, 0x778F6C, 0x538464, 0xB44882, 0x585E90, 0xA58787, 0x4FA173, 0x8C6A69,
        0x82639E, 0x5EA789, 0xBF6B77
    )

    private val fit37x23into16x12 = intArrayOf(
        0xFFFFFF, 0x281144, 0x762A84, 0xB26387, 0x45B281, 0x757F67, 0xB67186, 0x4A5E6C,
        0x736EB4, 0xBA8754, 0x4D835B, 0xFFFFFF, 0xFFFFFF, 0x403C74, 0x8E556F, 0xB48C73,
        0x529F6A, 0x8D6E70, 0x9D7F85, 0x448470, 0x8B7485, 0xA5775E, 0x408485, 0xFFFFFF,
        0xFFFFFF, 0x5A9785, 0xA69773, 0x8D8B78, 0x526D77, 0xA6957C, 0x967699, 0x527F83,
        0xA4887B, 0x808767, 0x4A7081, 0xFFFFFF, 0xFFFFFF, 0x729376, 0xB66E6D, 0x5A766F,
        0x6A7A5F, 0xB97D5A, 0x619482, 0x6A9180, 0xBB8F73, 0x5A8A65, 0x629676, 0xFFFFFF,
        0xFFFFFF, 0x8CA078, 0xA76B7C, 0x447C88, 0x84847F, 0xAD7C73, 0x48838F, 0x848B87,
        0xB39A8E, 0x4D7B76, 0x7C6F74, 0xFFFFFF, 0xFFFFFF, 0xA69E89, 0xA3917B, 0x4D7092,
        0x9E8486, 0x8D6983, 0x4D6D93, 0x9E807E, 0x958292, 0x4F577F, 0x96469B, 0xFFFFFF,
        0xFFFFFF, 0xBF82B4, 0x6D836C, 0x647E71, 0xB7927E, 0x677682, 0x626F82, 0xB17584,
        0x657F93, 0x616457, 0xAF549B, 0xFFFFFF, 0xFFFFFF, 0xB668AD, 0x4D8195, 0x7D917D,
        0xB58275, 0x53876F, 0x7B6A89, 0xAE8B7F, 0x456C65, 0x7A844C, 0xC87345, 0xFFFFFF,
        0xFFFFFF, 0x956D2B, 0x4A7352, 0x976F6F, 0x9F8671, 0x4C6177, 0x957294, 0xA6808E,
        0x4E7A4D, 0x947456, 0xC1697F, 0xFFFFFF, 0xFFFFFF, 0x68985A, 0x59A58C, 0xAC946E,
        0x715F89, 0x588580, 0xAB706C, 0x7B8D85, 0x567785, 0xAB7A66, 0x8E659B, 0xFFFFFF,
        0xFFFFFF, 0x485485, 0x726D7F, 0xB1A391, 0x4A8390, 0x717787, 0xB48C7E, 0x4F9873,
        0x6F7B83, 0xB7766D, 0x538D71, 0xFFFFFF, 0xFFFFFF, 0x3E448E, 0x8C5D82, 0xAF968D,
        0x4FA192, 0x8B726C, 0xB59C7B, 0x529180, 0x896E71, 0xA17A85, 0x3CAB8A, 0xFFFFFF,
        0xFFFFFF, 0x586B71, 0xA4847A, 0x88A671, 0x50626C, 0xA47E85, 0x926E7A, 0x509075,
        0xA28892, 0x9B719A, 0x486376, 0xFFFFFF, 0xFFFFFF, 0x709075, 0xB4A47E, 0x567366,
        0x687065, 0xB7988A, 0x5D7076, 0x687574, 0xB98775, 0x647782, 0x608D91, 0xFFFFFF,
        0xFFFFFF, 0x8A6198, 0xBB6E73, 0x55838A, 0x827B8E, 0xA97E8F, 0x448982, 0x82887F,
        0xAF8590, 0x49888B, 0x7A9B72, 0xFFFFFF, 0xFFFFFF, 0xA295CB, 0xAA5F90, 0x497B74,
        0x9A8277, 0xB17776, 0x4C7662, 0x9A9C76, 0x949AB6, 0x4B6F93, 0x925D56, 0xFFFFFF
    )

    private val fit23x37into16x12 = intArrayOf(
        0xFFFFFF, 0xFFFFFF, 0xFFFFFF, 0xFFFFFF, 0xFFFFFF, 0xFFFFFF, 0xFFFFFF, 0xFFFFFF,
        0xFFFFFF, 0xFFFFFF, 0xFFFFFF, 0xFFFFFF, 0xFFFFFF, 0xFFFFFF, 0xFFFFFF, 0xFFFFFF,
        0xFFFFFF, 0xFFFFFF, 0xFFFFFF, 0xFFFFFF, 0xFFFFFF, 0xFFFFFF, 0xFFFFFF, 0xFFFFFF,
        0xFFFFFF, 0xFFFFFF, 0xFFFFFF, 0xFFFFFF, 0xFFFFFF, 0xFFFFFF, 0xFFFFFF, 0xFFFFFF,
        0xFFFFFF, 0xFFFFFF, 0xFFFFFF, 0xFFFFFF, 0xFFFFFF, 0xFFFFFF, 0xFFFFFF, 0xFFFFFF,
        0xFFFFFF, 0xFFFFFF, 0xFFFFFF, 0xFFFFFF, 0xFFFFFF, 0xFFFFFF, 0xFFFFFF, 0xFFFFFF,
        0x412060, 0xA3507F, 0x639F77, 0x8B7F76, 0x7B6976, 0x717092, 0x99865D, 0x5F8582,
        0xA88B8B, 0x5C8F7C, 0x9F7170, 0x5C7F7B, 0x62747F, 0xA88971, 0x5F8474, 0xA2827D,
        0x647D8A, 0x8E8378, 0x777A6F, 0x777C7D, 0x957A90, 0x637E79, 0xA6836D, 0x528A81,
        0x858D73, 0x91746E, 0x647969, 0xA4826B, 0x5E9082, 0xA39078, 0x5F8C6F, 0x948586,
        0x6D8186, 0x7E827A, 0x8D8C7E, 0x5C7F8D, 0xA69481, 0x6B7787, 0x838689, 0x857284,
        0x6B7F8D, 0x9E8787, 0x5F6587, 0xA56079, 0x5B837C, 0x9F817A, 0x6F897B, 0x7C8286,
        0xAF8C9F, 0x5E7976, 0x9F8A7F, 0x657285, 0x8A7683, 0x7A7C88, 0x72616E, 0x975D87,
        0x60837C, 0xA7827C, 0x5D8177, 0xA17778, 0x936977, 0x608173, 0xA58771, 0x5D7576,
        0xA27A87, 0x607A60, 0x937751, 0x7C766D, 0x798772, 0x908D96, 0x627E86, 0xB47A94,
        0x639655, 0x7B8C77, 0x916D7F, 0x637478, 0xA57F85, 0x5C7978, 0xA7766D, 0x687680,
        0x997B80, 0x76757C, 0x7D7C7D, 0x95806B, 0xFFFFFF, 0xFFFFFF, 0xFFFFFF, 0xFFFFFF,
        0xFFFFFF, 0xFFFFFF, 0xFFFFFF, 0xFFFFFF, 0xFFFFFF, 0xFFFFFF, 0xFFFFFF, 0xFFFFFF,
        0xFFFFFF, 0xFFFFFF, 0xFFFFFF, 0xFFFFFF, 0xFFFFFF, 0xFFFFFF, 0xFFFFFF, 0xFFFFFF,
        0xFFFFFF, 0xFFFFFF, 0xFFFFFF, 0xFFFFFF, 0xFFFFFF, 0xFFFFFF, 0xFFFFFF, 0xFFFFFF,
        0xFFFFFF, 0xFFFFFF, 0xFFFFFF, 0xFFFFFF, 0xFFFFFF, 0xFFFFFF, 0xFFFFFF, 0xFFFFFF,
        0xFFFFFF, 0xFFFFFF, 0xFFFFFF, 0xFFFFFF, 0xFFFFFF, 0xFFFFFF, 0xFFFFFF, 0xFFFFFF,
        0xFFFFFF, 0xFFFFFF, 0xFFFFFF, 0xFFFFFF, 0xFFFFFF, 0xFFFFFF, 0xFFFFFF, 0xFFFFFF,
        0xFFFFFF, 0xFFFFFF, 0xFFFFFF, 0xFFFFFF, 0xFFFFFF, 0xFFFFFF, 0xFFFFFF, 0xFFFFFF
    )

    @Test
    fun shrinkingAveragesLikePillow() {
        assertArrayEquals(down13x9to5x4, rgb(PilResize.bilinear(source(13, 9), 5, 4)))
        assertArrayEquals(widthOnly20x5to7x5, rgb(PilResize.bilinear(source(20, 5), 7, 5)))
    }

    @Test
    fun enlargingMatchesPillow() {
        assertArrayEquals(up4x3to9x7, rgb(PilResize.bilinear(source(4, 3), 9, 7)))
    }

    @Test
    fun passOrderFollowsPillow13AndOlder() {
        // 29 rows -> 6 loses more than twice what 7 -> 9 columns loses: Pillow 13 goes vertical first.
        assertArrayEquals(verticalFirst7x29to9x6, rgb(PilResize.bilinear(source(7, 29), 9, 6)))
        // Pillow <= 12 (always horizontal first): some pixels differ by one level.
        val older = rgb(PilResize.bilinear(source(7, 29), 9, 6, verticalFirstWhenTaller = false))
        assertArrayEquals(horizontalFirst7x29to9x6, older)
        assertNotEquals(verticalFirst7x29to9x6.toList(), older.toList())
    }

    @Test
    fun fitLetterboxesLikeTheReaders() {
        // 23 x 37 (W x H) into 12 x 16: scaled to 10 x 16, one white column each side.
        val tall = PilResize.fitImage(source(23, 37), 16, 12)
        assertEquals(12, tall.width)
        assertEquals(16, tall.height)
        assertArrayEquals(fit37x23into16x12, rgb(tall))
        // 37 x 23 into 12 x 16: scaled to 12 x 7, padded 4 rows above and 5 below.
        assertArrayEquals(fit23x37into16x12, rgb(PilResize.fitImage(source(37, 23), 16, 12)))
    }

    @Test
    fun phoneSizedPhotosFitLikeTheReaders() {
        // A portrait 300 x 400 photo into 48 x 64, and a landscape 400 x 300 one (48 x 36 + padding).
        assertEquals(Pair(1164728L, 984988220), checksum(PilResize.fitImage(source(300, 400), 64, 48)))
        assertEquals(Pair(1683499L, -1439877873), checksum(PilResize.fitImage(source(400, 300), 64, 48)))
    }

    @Test
    fun onlyPaddingIsNotResampled() {
        // 30 x 64 into 48 x 64: scale 1, 9 white columns left.
        val fitted = PilResize.fitImage(source(30, 64), 64, 48)
        assertEquals(Pair(1612000L, 97346144), checksum(fitted))
        assertEquals(0xFFFFFF, fitted[0, 0] and 0xFFFFFF)
        assertEquals(source(30, 64)[0, 0], fitted[9, 0])
        // The target size already: the same pixels.
        val same = source(48, 64)
        assertArrayEquals(same.pixels, PilResize.fitImage(same, 64, 48).pixels)
    }

    @Test
    fun transparencyIsFlattenedOntoWhiteLikePillow() {
        // Image.alpha_composite(white, rgba) for grey (v, v, v, alpha): (v, alpha, result).
        val cases = listOf(
            Triple(200, 128, 227), Triple(0, 1, 254), Triple(17, 254, 18),
            Triple(0, 127, 128), Triple(255, 0, 255), Triple(10, 0, 255)
        )
        val image = ArgbImage(cases.size, 1, IntArray(cases.size) { i ->
            val v = cases[i].first
            (cases[i].second shl 24) or (v shl 16) or (v shl 8) or v
        })
        val flat = PilResize.flattenOnWhite(image)
        for ((i, case) in cases.withIndex()) {
            val expected = ArgbImage.argb(case.third, case.third, case.third)
            assertEquals("v=${case.first} alpha=${case.second}", expected, flat.pixels[i])
        }
        val opaque = source(3, 2)
        assertSame(opaque, PilResize.flattenOnWhite(opaque))
    }

    @Test
    fun badSizesAreRejected() {
        assertIllegalArgument("positive size") { PilResize.bilinear(source(3, 3), 0, 2) }
    }
}
