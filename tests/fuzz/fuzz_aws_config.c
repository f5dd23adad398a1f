/* libFuzzer target: the AWS shared credentials and config files (aws_ini_get, as the
 * credential chain reads ~/.aws/credentials and ~/.aws/config) and the XML values of STS answers
 * (aws_xml_next, aws_xml_text). Whatever the input, a value found is at most AWS_MAX_VALUE
 * bytes and NUL-free, and a decoded XML value is at most its bound. */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "net/aws.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const sections[] = {"default", "profile dev"};
    static const char *const keys[] = {"aws_access_key_id", "aws_secret_access_key", "region",
                                       "web_identity_token_file"};
    static const char *const elements[] = {"AccessKeyId", "SecretAccessKey", "SessionToken"};
    const char *text = (const char *)data;
    ms_error err;
    for (size_t s = 0; s < 2; s++) {
        for (size_t k = 0; k < 4; k++) {
            char *value = NULL;
            int rc = aws_ini_get(text, size, "fuzz", sections[s], keys[k], &value, &err);
            if (rc == 1 && (!value || strlen(value) > AWS_MAX_VALUE))
                abort();
            if (rc != 1 && value)
                abort();
            aws_value_free(value);
        }
    }
    ms_buf out = MS_BUF_INIT;
    for (size_t e = 0; e < 3; e++) {
        size_t pos = 0, a, b;
        while (aws_xml_next(text, size, &pos, elements[e], &a, &b)) {
            if (a > b || b > size || pos > size)
                abort();
            if (aws_xml_text(text + a, b - a, 4096, &out, &err) == 0 && out.len > 4096)
                abort();
        }
    }
    msx_buf_free(&out);
    return 0;
}
