/* SPDX-License-Identifier: MIT */
/* Suite "pcap": the pcap file and record headers, byte for byte (lib/pcap.h). */
#include <check.h>
#include <stdint.h>
#include <string.h>

#include "pcap.h"
#include "suites.h"

START_TEST(file_header)
{
        static const uint8_t want[24] = {
                0x4d, 0x3c, 0xb2, 0xa1, /* magic 0xa1b23c4d, little-endian: nanoseconds */
                0x02, 0x00, 0x04, 0x00, /* version 2.4 */
                0x00, 0x00, 0x00, 0x00, /* thiszone */
                0x00, 0x00, 0x00, 0x00, /* sigfigs */
                0x00, 0x00, 0x04, 0x00, /* snaplen 262144 */
                0x01, 0x00, 0x00, 0x00, /* LINKTYPE_ETHERNET */
        };
        uint8_t out[PBL_PCAP_FILE_HDR];

        memset(out, 0xee, sizeof(out));
        pbl_pcap_file_header(out, PBL_PCAP_SNAPLEN, PBL_PCAP_LINKTYPE_ETH);
        ck_assert_mem_eq(out, want, sizeof(want));

        pbl_pcap_file_header(out, 0x01020304u, 0xa0b0c0d0u);
        ck_assert_mem_eq(out + 16, ((const uint8_t[]){ 4, 3, 2, 1, 0xd0, 0xc0, 0xb0, 0xa0 }), 8);
}
END_TEST

START_TEST(record_header)
{
        static const uint8_t want[16] = {
                0x78, 0x56, 0x34, 0x12, /* seconds 0x12345678 */
                0xff, 0xc9, 0x9a, 0x3b, /* nanoseconds 999999999 */
                0x2a, 0x00, 0x00, 0x00, /* captured 42 */
                0x00, 0x00, 0x01, 0x00, /* on the wire 65536 */
        };
        uint8_t out[PBL_PCAP_REC_HDR];

        memset(out, 0xee, sizeof(out));
        pbl_pcap_record_header(out, 0x12345678u, 999999999u, 42, 65536);
        ck_assert_mem_eq(out, want, sizeof(want));

        /* Seconds past 2106 wrap, as the format's 32 bits do. */
        pbl_pcap_record_header(out, 0x100000005ull, 0, 0, 0);
        ck_assert_mem_eq(out, ((const uint8_t[]){ 5, 0, 0, 0, 0, 0, 0, 0 }), 8);
}
END_TEST

Suite *
make_pcap_suite(void)
{
        Suite *s = suite_create("pcap");
        TCase *tc = tcase_create("headers");

        tcase_add_test(tc, file_header);
        tcase_add_test(tc, record_header);
        suite_add_tcase(s, tc);
        return s;
}
