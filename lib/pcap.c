/* SPDX-License-Identifier: MIT */
#include "pcap.h"

static void
put_le32(uint8_t *p, uint32_t v)
{
        p[0] = (uint8_t)v;
        p[1] = (uint8_t)(v >> 8);
        p[2] = (uint8_t)(v >> 16);
        p[3] = (uint8_t)(v >> 24);
}

static void
put_le16(uint8_t *p, uint16_t v)
{
        p[0] = (uint8_t)v;
        p[1] = (uint8_t)(v >> 8);
}

void
pbl_pcap_file_header(uint8_t out[PBL_PCAP_FILE_HDR], uint32_t snaplen, uint32_t linktype)
{
        put_le32(out, PBL_PCAP_MAGIC_NSEC);
        put_le16(out + 4, PBL_PCAP_VERSION_MAJ);
        put_le16(out + 6, PBL_PCAP_VERSION_MIN);
        put_le32(out + 8, 0);  /* thiszone: UTC */
        put_le32(out + 12, 0); /* sigfigs */
        put_le32(out + 16, snaplen);
        put_le32(out + 20, linktype);
}

void
pbl_pcap_record_header(uint8_t out[PBL_PCAP_REC_HDR], uint64_t sec, uint32_t nsec, uint32_t caplen,
                       uint32_t len)
{
        put_le32(out, (uint32_t)sec);
        put_le32(out + 4, nsec);
        put_le32(out + 8, caplen);
        put_le32(out + 12, len);
}
