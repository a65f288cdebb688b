/* Host runner (not part of the library): reads images of MIXBIT_INPUT_BYTES raw pixels from argv[1] and writes
 * MIXBIT_OUTPUT_COUNT logit codes per image to argv[2]. Used by `mixbit deploy --check` on the whole test set. */
#include <stdio.h>

#include "model.h"

int main(int argc, char **argv)
{
    static uint8_t image[MIXBIT_INPUT_BYTES];
    static int8_t logits[MIXBIT_OUTPUT_COUNT];
    if (argc != 3) {
        fprintf(stderr, "usage: %s IMAGES.bin LOGITS.bin\n", argv[0]);
        return 2;
    }
    FILE *in = fopen(argv[1], "rb"), *out = fopen(argv[2], "wb");
    if (!in || !out) {
        fprintf(stderr, "cannot open %s or %s\n", argv[1], argv[2]);
        return 2;
    }
    long n = 0;
    while (fread(image, 1, sizeof image, in) == sizeof image) {
        mixbit_run(image, logits);
        if (fwrite(logits, 1, sizeof logits, out) != sizeof logits) return 3;
        n++;
    }
    fclose(in);
    if (fclose(out) != 0) return 3;
    fprintf(stderr, "%ld images\n", n);
    return 0;
}
