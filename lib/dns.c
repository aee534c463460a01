/* SPDX-License-Identifier: MIT */
/* The DNS overlay's model and file rendering: pure code, no I/O. */
#include "dns.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <arpa/inet.h>

#include "pb-macro.h"

#define LOCALHOST_LINES "127.0.0.1\tlocalhost\n::1\tlocalhost\n"

static bool
label_char(char c)
{
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               c == '-' || c == '_';
}

bool
pbl_dns_name_valid(const char *name)
{
        size_t len = strlen(name), label = 0;
        struct in_addr a;

        if (len < 1 || len > PBL_DNS_NAME_MAX)
                return false;
        for (size_t i = 0; i <= len; i++) {
                char c = name[i];

                if (c == '.' || c == '\0') {
                        /* Empty labels ("a..b", ".a", "a.") and '-' at a label's ends. */
                        if (label == 0 || label > 63 || name[i - 1] == '-')
                                return false;
                        label = 0;
                        continue;
                }
                if (!label_char(c) || (label == 0 && c == '-'))
                        return false;
                label++;
        }
        if (strcasecmp(name, "localhost") == 0)
                return false;
        /* glibc takes these for addresses before it looks at /etc/hosts. */
        return inet_aton(name, &a) == 0;
}

int
pbl_dns_check(const char *name, const char *name_param, const char *ip, const char *ip_param,
              struct pbl_ip *ret_ip, struct pbl_status *st)
{
        if (name && !pbl_dns_name_valid(name))
                return pbl_fault(st, PBL_FAULT_BAD_NAME, name_param,
                                 "invalid host name '%.80s': use dot-separated labels of "
                                 "[A-Za-z0-9_-] (1-63 characters, no '-' at either end), at most "
                                 "253 characters, not localhost and not an IPv4 address",
                                 name);
        if (ip && pbl_ip_parse(ip, ret_ip) < 0)
                return pbl_fault(st, PBL_FAULT_INVALID, ip_param,
                                 "invalid IP address '%.60s': want IPv4 or IPv6", ip);
        return 0;
}

void
pbl_dns_init(struct pbl_dns *dns)
{
        memset(dns, 0, sizeof(*dns));
}

void
pbl_dns_done(struct pbl_dns *dns)
{
        free(dns->entries);
        pbl_dns_init(dns);
}

static const char *
scope(const char *device)
{
        return device ? device : "";
}

static struct pbl_dns_entry *
find(const struct pbl_dns *dns, const char *name, const char *device)
{
        device = scope(device);
        for (unsigned i = 0; i < dns->n; i++)
                if (strcmp(dns->entries[i].device, device) == 0 &&
                    strcasecmp(dns->entries[i].name, name) == 0)
                        return &dns->entries[i];
        return NULL;
}

const struct pbl_dns_entry *
pbl_dns_find(const struct pbl_dns *dns, const char *name, const char *device)
{
        return find(dns, name, device);
}

int
pbl_dns_set(struct pbl_dns *dns, const char *name, const struct pbl_ip *ip, const char *device,
            struct pbl_ip *ret_old)
{
        struct pbl_dns_entry *e = find(dns, name, device);

        if (e) {
                if (ret_old)
                        *ret_old = e->ip;
                /* The latest spelling of the name is the one written. */
                snprintf(e->name, sizeof(e->name), "%s", name);
                e->ip = *ip;
                return 1;
        }
        if (dns->n >= PBL_DNS_ENTRIES_MAX)
                return -ENOSPC;
        if (dns->n == dns->cap) {
                unsigned cap = dns->cap ? dns->cap * 2 : 16;
                struct pbl_dns_entry *n = reallocarray(dns->entries, cap, sizeof(*n));

                if (!n)
                        return -ENOMEM;
                dns->entries = n;
                dns->cap = cap;
        }
        e = &dns->entries[dns->n++];
        memset(e, 0, sizeof(*e));
        snprintf(e->name, sizeof(e->name), "%s", name);
        snprintf(e->device, sizeof(e->device), "%s", scope(device));
        e->ip = *ip;
        return 0;
}

static void
remove_at(struct pbl_dns *dns, unsigned i)
{
        memmove(&dns->entries[i], &dns->entries[i + 1], (dns->n - i - 1) * sizeof(dns->entries[0]));
        dns->n--;
}

void
pbl_dns_unset(struct pbl_dns *dns, const char *name, const char *device)
{
        struct pbl_dns_entry *e = find(dns, name, device);

        if (e)
                remove_at(dns, (unsigned)(e - dns->entries));
}

void
pbl_dns_forget_device(struct pbl_dns *dns, const char *device)
{
        for (unsigned i = 0; i < dns->n;)
                if (strcmp(dns->entries[i].device, device) == 0)
                        remove_at(dns, i);
                else
                        i++;
}

const struct pbl_ip *
pbl_dns_resolve(const struct pbl_dns *dns, const char *name, const char *device)
{
        const struct pbl_dns_entry *e = NULL;

        if (device && *device)
                e = find(dns, name, device);
        if (!e)
                e = find(dns, name, NULL);
        return e ? &e->ip : NULL;
}

/* A growing text buffer; 'ok' turns false on ENOMEM. */
struct text {
        char *buf;
        size_t len, cap;
        bool ok;
};

static void
text_add(struct text *t, const char *s)
{
        size_t n = strlen(s);

        if (!t->ok)
                return;
        if (t->len + n + 1 > t->cap) {
                size_t cap = MAX(t->cap * 2, t->len + n + 1);
                char *b = realloc(t->buf, MAX(cap, 256));

                if (!b) {
                        t->ok = false;
                        return;
                }
                t->buf = b;
                t->cap = MAX(cap, 256);
        }
        memcpy(t->buf + t->len, s, n + 1);
        t->len += n;
}

static char *
text_finish(struct text *t, size_t *ret_len)
{
        if (!t->ok) {
                free(t->buf);
                return NULL;
        }
        *ret_len = t->len;
        return t->buf;
}

static void
add_line(struct text *t, const struct pbl_dns_entry *e)
{
        char ip[PBL_IP_STRLEN];

        text_add(t, pbl_ip_str(&e->ip, ip));
        text_add(t, "\t");
        text_add(t, e->name);
        text_add(t, "\n");
}

char *
pbl_dns_render_hosts(const struct pbl_dns *dns, const char *device, size_t *ret_len)
{
        struct text t = { .ok = true };

        device = device && *device ? device : NULL;
        text_add(&t, PBL_DNS_HEADER LOCALHOST_LINES);
        for (unsigned i = 0; i < dns->n; i++) {
                const struct pbl_dns_entry *e = &dns->entries[i];

                /* glibc takes the first line that matches: shadowed names are left out. */
                if (!e->device[0] && !(device && find(dns, e->name, device)))
                        add_line(&t, e);
        }
        for (unsigned i = 0; device && i < dns->n; i++)
                if (strcmp(dns->entries[i].device, device) == 0)
                        add_line(&t, &dns->entries[i]);
        return text_finish(&t, ret_len);
}

char *
pbl_dns_render_resolv(const struct pbl_dns *dns, size_t *ret_len)
{
        struct text t = { .ok = true };
        char ip[PBL_IP_STRLEN];

        text_add(&t, PBL_DNS_HEADER "nameserver ");
        text_add(&t, dns->nameserver.family ? pbl_ip_str(&dns->nameserver, ip)
                                            : PBL_DNS_DEFAULT_NAMESERVER);
        text_add(&t, "\n");
        return text_finish(&t, ret_len);
}
