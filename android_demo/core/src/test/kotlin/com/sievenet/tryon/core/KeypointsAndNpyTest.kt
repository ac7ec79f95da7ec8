package com.sievenet.tryon.core

import org.junit.Assert.assertArrayEquals
import org.junit.Assert.assertEquals
import org.junit.Assert.assertNull
import org.junit.Test

class KeypointsAndNpyTest {
    @Test
    fun readsOpenPoseInBothKeyStyles() {
        val values = (0 until 54).joinToString(", ") { (it * 0.5).toString() }
        val modern = OpenPose.parse("""{"version": 1.3, "people": [{"pose_keypoints_2d": [$values]}, {"pose_keypoints_2d": []}]}""", 192, 256)
        assertEquals(18, modern.count)
        assertEquals(OpenPose.COCO18_NAMES, modern.names)
        assertEquals(192, modern.imageWidth)
        assertEquals(256, modern.imageHeight)
        assertEquals(26.5f, modern.points[53], 0f)
        val cpVton = OpenPose.parse("""{"version": 1.0, "people": [{"face_keypoints": [], "pose_keypoints": [$values]}]}""", 192, 256)
        assertArrayEquals(modern.points, cpVton.points, 0f)
        val body25 = OpenPose.parse("""{"people": [{"pose_keypoints_2d": [${(0 until 75).joinToString(",")}]}]}""", 10, 10)
        assertEquals(OpenPose.BODY25_NAMES, body25.names)
        val odd = OpenPose.parse("""{"people": [{"pose_keypoints_2d": [1, 2, 3, 4, 5, 6]}]}""", 10, 10)
        assertNull(odd.names)
        assertEquals(2, odd.count)
    }

    @Test
    fun badOpenPoseFilesSayWhy() {
        assertIllegalArgument("no person in \"people\"") { OpenPose.parse("""{"people": []}""", 1, 1) }
        assertIllegalArgument("not a multiple of 3") { OpenPose.parse("""{"people": [{"pose_keypoints_2d": [1, 2]}]}""", 1, 1) }
        assertIllegalArgument("missing \"pose_keypoints_2d\"") { OpenPose.parse("""{"people": [{}]}""", 1, 1) }
        assertIllegalArgument("keypoints.json: missing \"people\"") { OpenPose.parse("{}", 1, 1) }
    }

    @Test
    fun readsNumpyUint8LabelMaps() {
        val data = byteArrayOf(0, 5, 19, 13, (200).toByte(), 1)
        val map = Npy.readLabelMap(TestSupport.npy("|u1", "(2, 3)", data))
        assertEquals(3, map.width)
        assertEquals(2, map.height)
        assertArrayEquals(intArrayOf(0, 5, 19, 13, 200, 1), map.ids)
        assertEquals(13, map[0, 1])
        val v2 = Npy.readLabelMap(TestSupport.npy("|u1", "(2, 3)", data, version = 2))
        assertArrayEquals(map.ids, v2.ids)
        val withChannel = Npy.readLabelMap(TestSupport.npy("|u1", "(3, 2, 1)", data))
        assertEquals(2, withChannel.width)
        assertEquals(3, withChannel.height)
    }

    @Test
    fun readsWiderLittleEndianIntegers() {
        // int32: 1, 258, -2 ; int64: 7, -1
        val i4 = byteArrayOf(1, 0, 0, 0, 2, 1, 0, 0, (0xFE).toByte(), (0xFF).toByte(), (0xFF).toByte(), (0xFF).toByte())
        assertArrayEquals(intArrayOf(1, 258, -2), Npy.readLabelMap(TestSupport.npy("<i4", "(1, 3)", i4)).ids)
        val i8 = ByteArray(16)
        i8[0] = 7
        for (b in 8 until 16) i8[b] = (0xFF).toByte()
        assertArrayEquals(intArrayOf(7, -1), Npy.readLabelMap(TestSupport.npy("<i8", "(1, 2)", i8)).ids)
    }

    @Test
    fun rejectsNpyFilesItCannotRead() {
        assertIllegalArgument("bad magic") { Npy.readLabelMap(ByteArray(20)) }
        assertIllegalArgument("dtype '<f4' is not supported", "uint8") {
            Npy.readLabelMap(TestSupport.npy("<f4", "(1, 1)", ByteArray(4)))
        }
        assertIllegalArgument("expected a (height, width) label map", "[1, 2, 3]") {
            Npy.readLabelMap(TestSupport.npy("|u1", "(1, 2, 3)", ByteArray(6)))
        }
        assertIllegalArgument("needs 6 data bytes, the file has 5") {
            Npy.readLabelMap(TestSupport.npy("|u1", "(2, 3)", ByteArray(5)))
        }
        val fortran = String(TestSupport.npy("|u1", "(2, 3)", ByteArray(6)), Charsets.ISO_8859_1)
            .replace("'fortran_order': False", "'fortran_order': True ")
        assertIllegalArgument("Fortran-ordered") { Npy.readLabelMap(fortran.toByteArray(Charsets.ISO_8859_1)) }
    }
}
