/* C test for audio, html, 3-D objects, molecules, plotly figures and graphs: every
 * constructor through the installed header, JSON text and file bytes checked against the
 * SDK's test vectors (spec §7, §10–§14, §15.2, §20), error statuses, ownership. Runs under
 * valgrind (zero errors, zero leaks). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "wandb_media.h"

#include "check.h"

static char dir[256];  /* run files dir */
static char src[256];  /* input files */

static void path_in(char *out, size_t n, const char *base, const char *rel) {
    snprintf(out, n, "%s/%s", base, rel);
}

static void write_file(const char *rel, const char *data, size_t len) {
    char p[512];
    path_in(p, sizeof p, src, rel);
    FILE *f = fopen(p, "wb");
    CHECK(f != NULL, "cannot create %s", p);
    if (f) {
        fwrite(data, 1, len, f);
        fclose(f);
    }
}

/* Contents of a file under the run dir (malloc'ed, NUL-terminated) or NULL. */
static char *read_run_file(const char *rel, long *size) {
    char p[512];
    path_in(p, sizeof p, dir, rel);
    FILE *f = fopen(p, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) n = -1;
    fclose(f);
    if (buf) buf[n < 0 ? 0 : n] = 0;
    if (size) *size = n;
    return buf;
}

static int run_file_equals(const char *rel, const char *want, long want_len) {
    long n = -1;
    char *got = read_run_file(rel, &n);
    int ok = got && n == want_len && memcmp(got, want, (size_t)want_len) == 0;
    if (!ok) fprintf(stderr, "  %s: got %ld bytes: %s\n", rel, n, got ? got : "(missing)");
    free(got);
    return ok;
}

/* Serialise `v` as run.log({key: v}) at `step`; the caller frees the result. */
static char *to_json(wb_value *v, wb_run_dir *rd, const char *key, int64_t step) {
    char *json = NULL;
    wb_error err;
    wb_status st = wb_value_to_json(v, rd, key, step, &json, &err);
    CHECK(st == WB_OK, "to_json(%s): %s", key, err.message);
    return json;
}

static void expect_json(wb_value *v, wb_run_dir *rd, const char *key, int64_t step, const char *want) {
    char *json = to_json(v, rd, key, step);
    CHECK(json && strcmp(json, want) == 0, "%s:\n got %s\nwant %s", key, json ? json : "(null)", want);
    wb_string_free(json);
}

static void test_audio(wb_run_dir *rd) {
    wb_error err;
    double zeros[8] = {0};
    int64_t shape[1] = {8};
    wb_tensor t = {zeros, WB_DTYPE_F64, 1, shape, NULL};
    wb_value *a = NULL, *f = NULL, *list = NULL;
    CHECK(wb_audio_from_tensor(&t, 8000, &a, &err) == WB_OK, "audio: %s", err.message);
    /* spec §15.3 / §20: Audio(np.zeros(8), sample_rate=8000) */
    expect_json(a, rd, "clip", 0,
                "{\"_type\":\"audio-file\",\"sha256\":\"86b5f5a4a69b226cef532cb4019df8ff0c08a804fa919af5d116e6e257cd9eac\","
                "\"size\":60,\"path\":\"media/audio/clip_0_86b5f5a4a69b226cef53.wav\"}");
    long n = 0;
    char *wav = read_run_file("media/audio/clip_0_86b5f5a4a69b226cef53.wav", &n);
    CHECK(wav && n == 60 && memcmp(wav, "RIFF", 4) == 0 && memcmp(wav + 8, "WAVEfmt ", 8) == 0 &&
              memcmp(wav + 36, "data", 4) == 0,
          "wav header");
    free(wav);

    write_file("beep.FLAC", "RIFF\0\0\0\0WAVEfake", 16);
    char p[512];
    path_in(p, sizeof p, src, "beep.FLAC");
    CHECK(wb_audio_from_file(p, 22050, &f, &err) == WB_OK, "audio file: %s", err.message);
    CHECK(wb_value_set_caption(a, "c", &err) == WB_OK, "caption: %s", err.message);
    CHECK(wb_list_new(&list, &err) == WB_OK, "list");
    CHECK(wb_list_append(list, a, &err) == WB_OK && wb_list_append(list, f, &err) == WB_OK, "append");
    /* §15.2: sampleRates/durations always, captions when any has one ("" for missing) */
    expect_json(list, rd, "al", 1,
                "{\"_type\":\"audio\",\"count\":2,\"audio\":[{\"caption\":\"c\",\"_type\":\"audio-file\","
                "\"sha256\":\"86b5f5a4a69b226cef532cb4019df8ff0c08a804fa919af5d116e6e257cd9eac\",\"size\":60,"
                "\"path\":\"media/audio/al_1_86b5f5a4a69b226cef53.wav\"},{\"_type\":\"audio-file\","
                "\"sha256\":\"68b9cd94a95550de247b625dbb8f9c84db0e6f84adaec95a8a2336fde8ada6a1\",\"size\":16,"
                "\"path\":\"media/audio/al_1_68b9cd94a95550de247b.FLAC\"}],\"sampleRates\":[8000,22050],"
                "\"durations\":[0.001,null],\"captions\":[\"c\",\"\"]}");
    CHECK(run_file_equals("media/audio/al_1_68b9cd94a95550de247b.FLAC", "RIFF\0\0\0\0WAVEfake", 16), "copied file");

    wb_value *bad = (wb_value *)0x1;
    CHECK(wb_audio_from_tensor(&t, 0, &bad, &err) == WB_ERR_INVALID_ARGUMENT &&
              strcmp(err.message, "Argument \"sample_rate\" is required when instantiating wandb.Audio with raw data.") == 0,
          "no sample rate: %s", err.message);
    uint8_t u8[8] = {0};
    wb_tensor tu = {u8, WB_DTYPE_U8, 1, shape, NULL};
    CHECK(wb_audio_from_tensor(&tu, 8000, &bad, &err) == WB_ERR_INVALID_ARGUMENT &&
              strcmp(err.message, "dtype must be one of ['float32', 'float64', 'int16', 'int32'] and not 'uint8'") == 0,
          "uint8: %s", err.message);
    int64_t s3[3] = {2, 2, 2};
    wb_tensor t3 = {zeros, WB_DTYPE_F64, 3, s3, NULL};
    CHECK(wb_audio_from_tensor(&t3, 8000, &bad, &err) == WB_ERR_INVALID_ARGUMENT, "3-D audio");
    CHECK(wb_audio_from_file("/nonexistent/x.wav", 0, &bad, &err) == WB_ERR_IO, "missing file: %s", err.message);
    CHECK(wb_audio_from_tensor(NULL, 8000, &bad, &err) == WB_ERR_NULL_ARGUMENT, "NULL tensor");
    CHECK(bad == (wb_value *)0x1, "out untouched on failure");
    wb_value_free(a);
    wb_value_free(f);
    wb_value_free(list);
}

static const char *SNIPPET =
    "<base target=\"_blank\"><link rel=\"stylesheet\" type=\"text/css\" href=\"https://app.wandb.ai/normalize.css\" />";

static void test_html(wb_run_dir *rd) {
    wb_error err;
    wb_value *h = NULL, *raw = NULL, *file = NULL, *list = NULL;
    CHECK(wb_html_from_string("<h1>Hi</h1>", true, &h, &err) == WB_OK, "html: %s", err.message);
    /* spec §10 / §20 */
    expect_json(h, rd, "page", 0,
                "{\"_type\":\"html-file\",\"sha256\":\"2e3c01595358c914e951ec2c905a950b98122ab5380084da4b8174736e721c4b\","
                "\"size\":116,\"path\":\"media/html/page_0_2e3c01595358c914e951.html\"}");
    char want[256];
    snprintf(want, sizeof want, "%s<h1>Hi</h1>", SNIPPET);
    CHECK(run_file_equals("media/html/page_0_2e3c01595358c914e951.html", want, (long)strlen(want)), "html bytes");
    CHECK(wb_html_from_string_n("  <p>x</p>  ", 12, false, &raw, &err) == WB_OK, "raw: %s", err.message);
    expect_json(raw, rd, "raw", 1,
                "{\"_type\":\"html-file\",\"sha256\":\"1bcf9af4d31f2a9d4848b7f80226df56cdd607d1b32dfb390c2c891876da95b9\","
                "\"size\":12,\"path\":\"media/html/raw_1_1bcf9af4d31f2a9d4848.html\"}");

    write_file("page.html", "<html><head></head>\r\n<p>a</p>\r\n", 31);
    char p[512];
    path_in(p, sizeof p, src, "page.html");
    CHECK(wb_html_from_file(p, false, &file, &err) == WB_OK, "html file: %s", err.message);
    expect_json(file, rd, "f", 2,
                "{\"_type\":\"html-file\",\"sha256\":\"8e30f69a73e5a67871694c6e40f78b7e566cd0119168750689739f0bd7009283\","
                "\"size\":31,\"path\":\"media/html/f_2_8e30f69a73e5a6787169.html\"}");
    wb_value_free(file);
    file = NULL;
    CHECK(wb_html_from_file(p, true, &file, &err) == WB_OK, "html file inject: %s", err.message);
    char *json = to_json(file, rd, "fi", 2);
    /* re-written: CRLF → LF, snippet inside <head>, stripped */
    snprintf(want, sizeof want, "<html><head>%s</head>\n<p>a</p>", SNIPPET);
    const char *pp = json ? strstr(json, "\"path\":\"") : NULL;
    char rel[256] = {0};
    if (pp) sscanf(pp + 8, "%255[^\"]", rel);
    CHECK(rel[0] && run_file_equals(rel, want, (long)strlen(want)), "injected file %s", rel);
    wb_string_free(json);

    CHECK(wb_list_new(&list, &err) == WB_OK, "list");
    CHECK(wb_list_append(list, h, &err) == WB_OK && wb_list_append(list, raw, &err) == WB_OK, "append");
    expect_json(list, rd, "hl", 3,
                "{\"_type\":\"html\",\"count\":2,\"html\":[{\"_type\":\"html-file\","
                "\"sha256\":\"2e3c01595358c914e951ec2c905a950b98122ab5380084da4b8174736e721c4b\",\"size\":116,"
                "\"path\":\"media/html/hl_3_2e3c01595358c914e951.html\"},{\"_type\":\"html-file\","
                "\"sha256\":\"1bcf9af4d31f2a9d4848b7f80226df56cdd607d1b32dfb390c2c891876da95b9\",\"size\":12,"
                "\"path\":\"media/html/hl_3_1bcf9af4d31f2a9d4848.html\"}]}");
    CHECK(wb_value_set_caption(h, "x", &err) == WB_ERR_INVALID_ARGUMENT, "Html has no caption");
    wb_value *bad = NULL;
    write_file("page.htm", "x", 1);
    path_in(p, sizeof p, src, "page.htm");
    CHECK(wb_html_from_file(p, true, &bad, &err) == WB_ERR_INVALID_ARGUMENT && bad == NULL, ".htm rejected: %s", err.message);
    CHECK(wb_html_from_string("\xff", true, &bad, &err) == WB_ERR_INVALID_UTF8 && bad == NULL, "bad UTF-8");
    wb_value_free(h);
    wb_value_free(raw);
    wb_value_free(file);
    wb_value_free(list);
}

static void test_object3d(wb_run_dir *rd) {
    wb_error err;
    double pts[6] = {0.1, 0.2, 0.3, 1, 2, 3};
    int64_t shape[2] = {2, 3};
    wb_tensor t = {pts, WB_DTYPE_F64, 2, shape, NULL};
    wb_value *o = NULL, *obj = NULL, *scene = NULL, *list = NULL;
    CHECK(wb_object3d_from_tensor(&t, &o, &err) == WB_OK, "object3d: %s", err.message);
    CHECK(wb_value_set_caption(o, "pc", &err) == WB_OK, "caption: %s", err.message);
    /* spec §11.2 */
    expect_json(o, rd, "o3", 0,
                "{\"caption\":\"pc\",\"_type\":\"object3D-file\","
                "\"sha256\":\"76afd19226eadc2fe254013097efe13c123c65eb79fbf27b4ef8288c8761f9b2\",\"size\":29,"
                "\"path\":\"media/object3D/o3_0_76afd19226eadc2fe254.pts.json\"}");
    CHECK(run_file_equals("media/object3D/o3_0_76afd19226eadc2fe254.pts.json", "[[0.1,0.2,0.3],[1.0,2.0,3.0]]", 29), "pts.json");

    const char *cube = "v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 3\n";
    write_file("cube.obj", cube, strlen(cube));
    char p[512];
    path_in(p, sizeof p, src, "cube.obj");
    CHECK(wb_object3d_from_file(p, &obj, &err) == WB_OK, "obj file: %s", err.message);
    CHECK(wb_list_new(&list, &err) == WB_OK, "list");
    CHECK(wb_list_append(list, o, &err) == WB_OK && wb_list_append(list, obj, &err) == WB_OK, "append");
    /* §15.2: filenames relative to media/object3D, captions stay inside objects */
    expect_json(list, rd, "ol", 2,
                "{\"_type\":\"object3D\",\"filenames\":[\"ol_2_76afd19226eadc2fe254.pts.json\",\"ol_2_697b00ab13410c52a542.obj\"],"
                "\"count\":2,\"objects\":[{\"caption\":\"pc\",\"_type\":\"object3D-file\","
                "\"sha256\":\"76afd19226eadc2fe254013097efe13c123c65eb79fbf27b4ef8288c8761f9b2\",\"size\":29,"
                "\"path\":\"media/object3D/ol_2_76afd19226eadc2fe254.pts.json\"},{\"_type\":\"object3D-file\","
                "\"sha256\":\"697b00ab13410c52a542d2e9c63711fcc04e9cbf6c0d3439a9b43cc812e6e713\",\"size\":32,"
                "\"path\":\"media/object3D/ol_2_697b00ab13410c52a542.obj\"}]}");

    /* spec §11.1 from_point_cloud example */
    int64_t cat[8] = {0, 0, 0, 1, 1, 1, 1, 2};
    int64_t pshape[2] = {2, 4};
    wb_tensor pt = {cat, WB_DTYPE_I64, 2, pshape, NULL};
    CHECK(wb_object3d_from_point_cloud(&pt,
                                       "[{\"center\":[0,0,0],\"size\":[2,2,2],\"orientation\":[1,0,0,0],"
                                       "\"color\":[255,0,0],\"label\":\"car\",\"score\":0.9}]",
                                       "[{\"start\":[0,0,0],\"end\":[1,1,1]}]", &scene, &err) == WB_OK,
          "point cloud: %s", err.message);
    char *json = to_json(scene, rd, "scene", 0);
    const char *want_scene =
        "{\"type\":\"lidar/beta\",\"vectors\":[{\"start\":[0,0,0],\"end\":[1,1,1]}],\"points\":[[0,0,0,1],[1,1,1,2]],"
        "\"boxes\":[{\"corners\":[[-1.0,-1.0,-1.0],[-1.0,-1.0,1.0],[-1.0,1.0,-1.0],[-1.0,1.0,1.0],[1.0,-1.0,-1.0],"
        "[1.0,-1.0,1.0],[1.0,1.0,-1.0],[1.0,1.0,1.0]],\"color\":[255,0,0],\"label\":\"car\",\"score\":0.9}]}";
    char rel[256] = {0};
    const char *pp = json ? strstr(json, "\"path\":\"") : NULL;
    if (pp) sscanf(pp + 8, "%255[^\"]", rel);
    CHECK(rel[0] && run_file_equals(rel, want_scene, (long)strlen(want_scene)), "scene file %s", rel);
    wb_string_free(json);
    wb_value *empty = NULL;
    CHECK(wb_object3d_from_point_cloud(NULL, NULL, NULL, &empty, &err) == WB_OK, "empty scene: %s", err.message);
    json = to_json(empty, rd, "e", 0);
    rel[0] = 0;
    pp = json ? strstr(json, "\"path\":\"") : NULL;
    if (pp) sscanf(pp + 8, "%255[^\"]", rel);
    const char *want_empty = "{\"type\":\"lidar/beta\",\"vectors\":[],\"points\":[],\"boxes\":[]}";
    CHECK(rel[0] && run_file_equals(rel, want_empty, (long)strlen(want_empty)), "empty scene file");
    wb_string_free(json);
    wb_value_free(empty);

    wb_value *bad = NULL;
    double z15[15] = {0};
    int64_t s35[2] = {3, 5};
    wb_tensor t35 = {z15, WB_DTYPE_F64, 2, s35, NULL};
    CHECK(wb_object3d_from_tensor(&t35, &bad, &err) == WB_ERR_INVALID_ARGUMENT &&
              strncmp(err.message, "The shape of the numpy array must be one of either", 50) == 0,
          "N×5: %s", err.message);
    CHECK(wb_object3d_from_file("/tmp/cube.OBJ", &bad, &err) == WB_ERR_INVALID_ARGUMENT, "suffix is case-sensitive");
    CHECK(wb_object3d_from_point_cloud(NULL, "[{\"center\":[0,0,0],\"size\":[1,1,1],\"orientation\":[0,0,0,0],\"color\":1}]",
                                       NULL, &bad, &err) == WB_ERR_INVALID_ARGUMENT &&
              strstr(err.message, "Unexpected zero quaternion."),
          "zero quaternion: %s", err.message);
    CHECK(wb_object3d_from_point_cloud(NULL, "{", NULL, &bad, &err) == WB_ERR_INVALID_ARGUMENT, "bad boxes JSON");
    CHECK(wb_object3d_from_string("v 0 0 0\n", 8, "ply", &bad, &err) == WB_ERR_INVALID_ARGUMENT, "bad file_type");
    CHECK(bad == NULL, "out untouched");
    wb_value *mem = NULL;
    CHECK(wb_object3d_from_string(cube, strlen(cube), "obj", &mem, &err) == WB_OK, "from string: %s", err.message);
    expect_json(mem, rd, "m", 4,
                "{\"_type\":\"object3D-file\",\"sha256\":\"697b00ab13410c52a542d2e9c63711fcc04e9cbf6c0d3439a9b43cc812e6e713\","
                "\"size\":32,\"path\":\"media/object3D/m_4_697b00ab13410c52a542.obj\"}");
    wb_value_free(mem);
    wb_value_free(o);
    wb_value_free(obj);
    wb_value_free(scene);
    wb_value_free(list);
}

static void test_molecule(wb_run_dir *rd) {
    wb_error err;
    const char *pdb = "ATOM      1  O   HOH A   1       0.000   0.000   0.000  1.00  0.00           O\nEND\n";
    write_file("water.pdb", pdb, strlen(pdb));
    char p[512];
    path_in(p, sizeof p, src, "water.pdb");
    wb_value *m = NULL, *m2 = NULL, *list = NULL;
    CHECK(wb_molecule_from_file(p, &m, &err) == WB_OK, "molecule: %s", err.message);
    CHECK(wb_value_set_caption(m, "w", &err) == WB_OK, "caption");
    expect_json(m, rd, "mol", 0,
                "{\"caption\":\"w\",\"_type\":\"molecule-file\","
                "\"sha256\":\"adc45813341b275445ae0368436be8fed0b44fa27b23ba8c9551e8d290d305e6\",\"size\":83,"
                "\"path\":\"media/molecule/mol_0_adc45813341b275445ae.pdb\"}");
    CHECK(run_file_equals("media/molecule/mol_0_adc45813341b275445ae.pdb", pdb, (long)strlen(pdb)), "copied");
    CHECK(wb_molecule_from_string(pdb, strlen(pdb), "pdb", &m2, &err) == WB_OK, "from string: %s", err.message);
    CHECK(wb_list_new(&list, &err) == WB_OK, "list");
    CHECK(wb_list_append(list, m2, &err) == WB_OK && wb_list_append(list, m, &err) == WB_OK, "append");
    /* §15.2: captions false unless the first item has one */
    expect_json(list, rd, "ml", 1,
                "{\"_type\":\"molecule\",\"filenames\":[\"media/molecule/ml_1_adc45813341b275445ae.pdb\","
                "\"media/molecule/ml_1_adc45813341b275445ae.pdb\"],\"count\":2,\"captions\":false}");
    wb_value *bad = NULL;
    write_file("water.xyz", "x", 1);
    path_in(p, sizeof p, src, "water.xyz");
    CHECK(wb_molecule_from_file(p, &bad, &err) == WB_ERR_INVALID_ARGUMENT && strstr(err.message, "Molecule only supports"),
          "bad extension: %s", err.message);
    CHECK(wb_molecule_from_string("x", 1, "mol", &bad, &err) == WB_ERR_INVALID_ARGUMENT && bad == NULL, "bad file_type");
    wb_value_free(m);
    wb_value_free(m2);
    wb_value_free(list);
}

static void test_plotly(wb_run_dir *rd) {
    wb_error err;
    wb_value *fig = NULL, *list = NULL;
    CHECK(wb_plotly_from_json("{\"data\": [], \"layout\": {}}", &fig, &err) == WB_OK, "plotly: %s", err.message);
    const char *want = "{\"_type\":\"plotly-file\",\"sha256\":\"0c05330dfef19bbbf7544270d35ea5022b1ddf64e7882ef779ae79de4a893f5e\","
                       "\"size\":23,\"path\":\"media/plotly/figs_1_0c05330dfef19bbbf754.plotly.json\"}";
    expect_json(fig, rd, "figs", 1, want);
    CHECK(run_file_equals("media/plotly/figs_1_0c05330dfef19bbbf754.plotly.json", "{\"data\":[],\"layout\":{}}", 23), "file");
    /* not batched: a plain list */
    CHECK(wb_list_new(&list, &err) == WB_OK && wb_list_append(list, fig, &err) == WB_OK, "list");
    char *json = to_json(list, rd, "figs", 1);
    CHECK(json && json[0] == '[' && strncmp(json + 1, want, strlen(want)) == 0, "plotly list: %s", json);
    wb_string_free(json);
    wb_value *bad = NULL;
    CHECK(wb_plotly_from_json("[1, 2]", &bad, &err) == WB_ERR_INVALID_ARGUMENT, "array is not a figure");
    CHECK(wb_plotly_from_json("{\"data\":", &bad, &err) == WB_ERR_INVALID_ARGUMENT, "invalid JSON");
    CHECK(wb_value_set_caption(fig, "x", &err) == WB_ERR_INVALID_ARGUMENT, "Plotly has no caption");
    CHECK(bad == NULL, "out untouched");
    wb_value_free(fig);
    wb_value_free(list);
}

static void test_graph(wb_run_dir *rd) {
    wb_error err;
    wb_value *g = NULL, *empty = NULL;
    CHECK(wb_graph_new("keras", &g, &err) == WB_OK, "graph: %s", err.message);
    CHECK(wb_graph_add_node(g, "{\"id\":\"a\",\"name\":\"input\",\"class_name\":\"InputLayer\",\"output_shape\":[null,4],\"num_parameters\":0}", &err) == WB_OK, "node a: %s", err.message);
    /* key order of the input does not matter: the SDK's order is used */
    CHECK(wb_graph_add_node(g, "{\"num_parameters\":10,\"is_output\":true,\"parameters\":[[\"w\",[4,2]]],\"size\":[4,2],\"class_name\":\"Dense\",\"name\":\"dense\",\"id\":\"b\"}", &err) == WB_OK, "node b: %s", err.message);
    CHECK(wb_graph_add_node(g, "{\"id\":3}", &err) == WB_OK, "node 3: %s", err.message);
    CHECK(wb_graph_add_edge(g, "\"a\"", "\"b\"", &err) == WB_OK, "edge a-b: %s", err.message);
    CHECK(wb_graph_add_edge(g, "\"b\"", "3", &err) == WB_OK, "edge b-3: %s", err.message);
    /* spec §14 / §20: 296 bytes, 6d2da7b46ede9f227150 */
    char *json = to_json(g, rd, "g", 0);
    CHECK(json && strstr(json, "\"_type\":\"graph-file\"") && strstr(json, "\"size\":296") &&
              strstr(json, "\"path\":\"media/graph/g_0_6d2da7b46ede9f227150.graph.json\""),
          "graph json: %s", json);
    wb_string_free(json);
    const char *want =
        "{\"format\":\"keras\",\"nodes\":[{\"name\":\"input\",\"id\":\"a\",\"class_name\":\"InputLayer\",\"output_shape\":[null,4],"
        "\"num_parameters\":0},{\"name\":\"dense\",\"id\":\"b\",\"class_name\":\"Dense\",\"size\":[4,2],\"parameters\":[[\"w\",[4,2]]],"
        "\"is_output\":true,\"num_parameters\":10},{\"name\":null,\"id\":3}],\"edges\":[[\"a\",\"b\"],[\"b\",3]]}";
    CHECK(run_file_equals("media/graph/g_0_6d2da7b46ede9f227150.graph.json", want, 296), "graph file");
    CHECK(wb_graph_new("torch", &empty, &err) == WB_OK, "empty graph");
    expect_json(empty, rd, "e", 0,
                "{\"_type\":\"graph-file\",\"sha256\":\"b573400ba57f69c0caf098c49b8b2f8c30b3c83d829e6b1d1376379ffdc317f9\","
                "\"size\":40,\"path\":\"media/graph/e_0_b573400ba57f69c0caf0.graph.json\"}");
    CHECK(wb_graph_add_edge(g, "\"a\"", "\"zz\"", &err) == WB_ERR_INVALID_ARGUMENT, "unknown node id: %s", err.message);
    CHECK(wb_graph_add_node(g, "{\"bogus\":1}", &err) == WB_ERR_INVALID_ARGUMENT, "unknown attribute");
    CHECK(wb_graph_add_node(g, "[1]", &err) == WB_ERR_INVALID_ARGUMENT, "node must be an object");
    CHECK(wb_graph_add_node(NULL, "{}", &err) == WB_ERR_NULL_ARGUMENT, "NULL graph");
    wb_value *i = NULL;
    CHECK(wb_value_int(1, &i, &err) == WB_OK, "int");
    CHECK(wb_graph_add_node(i, "{}", &err) == WB_ERR_INVALID_ARGUMENT, "not a graph");
    wb_value_free(i);

    wb_value *node = NULL, *edge = NULL;
    CHECK(wb_graph_node_value("{\"id\":1,\"name\":\"x\"}", &node, &err) == WB_OK, "node value: %s", err.message);
    expect_json(node, rd, "node", 0, "{\"name\":\"x\",\"id\":1}");
    CHECK(wb_graph_edge_value("\"a\"", "\"b\"", &edge, &err) == WB_OK, "edge value: %s", err.message);
    expect_json(edge, rd, "edge", 0, "[\"a\",\"b\"]");
    wb_value_free(node);
    wb_value_free(edge);
    wb_value_free(g);
    wb_value_free(empty);
}

int main(void) {
    snprintf(dir, sizeof dir, "/tmp/wbm-ctest-media-a-%d/files", (int)getpid());
    snprintf(src, sizeof src, "/tmp/wbm-ctest-media-a-%d/src", (int)getpid());
    wb_run_dir *rd = NULL, *srcdir = NULL;
    wb_error err;
    /* wb_run_dir_new creates the directories (also the input one). */
    if (wb_run_dir_new(dir, &rd, &err) != WB_OK || wb_run_dir_new(src, &srcdir, &err) != WB_OK) {
        fprintf(stderr, "run dir: %s\n", err.message);
        wb_run_dir_free(rd);
        return 1;
    }
    wb_run_dir_free(srcdir);
    test_audio(rd);
    test_html(rd);
    test_object3d(rd);
    test_molecule(rd);
    test_plotly(rd);
    test_graph(rd);
    wb_run_dir_free(rd);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf /tmp/wbm-ctest-media-a-%d", (int)getpid());
    if (system(cmd) != 0) fprintf(stderr, "cleanup failed\n");
    printf("%s\n", failures ? "C media-a tests FAILED" : "C media-a tests passed");
    return failures ? 1 : 0;
}
