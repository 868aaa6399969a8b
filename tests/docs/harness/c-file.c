/* Harness for README C snippets that are whole translation units (file-scope code). */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include "wandb_media.h"

@SNIPPET@
