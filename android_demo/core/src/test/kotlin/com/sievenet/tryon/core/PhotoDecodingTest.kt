package com.sievenet.tryon.core

import org.junit.Assert.assertArrayEquals
import org.junit.Assert.assertEquals
import org.junit.Assert.assertFalse
import org.junit.Assert.assertNotNull
import org.junit.Assert.assertNull
import org.junit.Assert.assertSame
import org.junit.Assert.assertTrue
import org.junit.Test

class PhotoDecodingTest {
    // Stored 3 x 2 image with pixel values 1..6, row by row.
    private val stored = ArgbImage(3, 2, IntArray(6) { it + 1 })

    @Test
    fun everyOrientationMatchesPillowsExifTranspose() {
        // PIL.ImageOps.exif_transpose on the same 3 x 2 image tagged with each orientation.
        val expected = mapOf(
            2 to Triple(3, 2, intArrayOf(3, 2, 1, 6, 5, 4)),
            3 to Triple(3, 2, intArrayOf(6, 5, 4, 3, 2, 1)),
            4 to Triple(3, 2, intArrayOf(4, 5, 6, 1, 2, 3)),
            5 to Triple(2, 3, intArrayOf(1, 4, 2, 5, 3, 6)),
            6 to Triple(2, 3, intArrayOf(4, 1, 5, 2, 6, 3)),
            7 to Triple(2, 3, intArrayOf(6, 3, 5, 2, 4, 1)),
            8 to Triple(2, 3, intArrayOf(3, 6, 2, 5, 1, 4))
        )
        for ((orientation, want) in expected) {
            val upright = ExifOrientation.apply(stored, orientation)
            assertEquals("width for $orientation", want.first, upright.width)
            assertEquals("height for $orientation", want.second, upright.height)
            assertArrayEquals("pixels for $orientation", want.third, upright.pixels)
            assertEquals(Pair(want.first, want.second), ExifOrientation.uprightSize(3, 2, orientation))
        }
    }

    @Test
    fun normalMissingOrCorruptTagsKeepThePixels() {
        for (orientation in listOf(ExifOrientation.UNDEFINED, ExifOrientation.NORMAL, 9, -1)) {
            assertSame(stored, ExifOrientation.apply(stored, orientation))
            assertFalse(ExifOrientation.swapsAxes(orientation))
            assertEquals("", ExifOrientation.describe(orientation))
        }
        assertEquals("rotated 90° clockwise", ExifOrientation.describe(ExifOrientation.ROTATE_90))
    }

    @Test
    fun aPortraitPhoneShotStoredSidewaysComesOutUpright() {
        // A 4000 x 3000 sensor image tagged ROTATE_90 is a 3000 x 4000 portrait.
        assertTrue(ExifOrientation.swapsAxes(ExifOrientation.ROTATE_90))
        assertEquals(Pair(3000, 4000), ExifOrientation.uprightSize(4000, 3000, ExifOrientation.ROTATE_90))
    }

    @Test
    fun sampleSizeKeepsTheMinimumSize() {
        assertEquals(1, PhotoDecoding.sampleSize(48, 64, 48, 64))
        assertEquals(1, PhotoDecoding.sampleSize(95, 127, 48, 64))
        assertEquals(2, PhotoDecoding.sampleSize(96, 128, 48, 64))
        assertEquals(8, PhotoDecoding.sampleSize(4000, 3000, 400, 300))
        assertEquals(1, PhotoDecoding.sampleSize(10, 10, 100, 100))
    }

    @Test
    fun photoSampleSizeLeavesThreeTimesTheFittedSize() {
        // Portrait 3000 x 4000 (upright) into 192 x 256: the fit is 192 x 256, so the decode
        // keeps >= 576 x 768: inSampleSize 4 (750 x 1000), not 8 (375 x 500).
        assertEquals(4, PhotoDecoding.photoSampleSize(3000, 4000, ExifOrientation.NORMAL, 256, 192))
        // The same photo stored sideways (4000 x 3000, ROTATE_90): the same subsampling.
        assertEquals(4, PhotoDecoding.photoSampleSize(4000, 3000, ExifOrientation.ROTATE_90, 256, 192))
        // A landscape 4000 x 3000 photo fits as 192 x 144: keeps >= 576 x 432, inSampleSize 4 (1000 x 750).
        assertEquals(4, PhotoDecoding.photoSampleSize(4000, 3000, ExifOrientation.NORMAL, 256, 192))
        // A small photo is decoded whole.
        assertEquals(1, PhotoDecoding.photoSampleSize(300, 400, ExifOrientation.NORMAL, 256, 192))
        // With a gap of 1 (what the bundled samples use) it may shrink to the fitted size itself.
        assertEquals(8, PhotoDecoding.photoSampleSize(3000, 4000, ExifOrientation.NORMAL, 256, 192, gap = 1.0))
    }

    @Test
    fun tinyAndUndecodablePhotosAreRefused() {
        assertNull(PhotoDecoding.sizeProblem(8, 8, "person photo"))
        assertNull(PhotoDecoding.sizeProblem(12000, 16000, "person photo"))
        assertTrue(PhotoDecoding.sizeProblem(7, 100, "person photo")!!.contains("7x100"))
        assertNotNull(PhotoDecoding.sizeProblem(0, 0, "garment photo"))
        assertTrue(PhotoDecoding.sizeProblem(-1, -1, "garment photo")!!.contains("garment photo"))
    }
}
