<?php
/**
 * keksdose.php — the keksdose collector for rented PHP webspace.
 *
 * Receives what keksdose sends from visitors' browsers and stores it as files, for operators who
 * cannot run `keksdose serve`:
 *
 *   POST keksdose.php?inbox=TENANT   a sealed form submission (envelope v1, docs/envelope-v1.md),
 *                                    the form's `action`
 *   POST keksdose.php?receipts       a consent record (docs/consent-record.schema.json), the
 *                                    config's `consent.logEndpoint`
 *
 * It answers with the status codes and JSON bodies of `keksdose serve`, so the browser code is
 * the same. It needs no cryptography: a submission arrives sealed, and only the holder of the
 * secret key opens it, on their own machine, with `keksdose open DATA_DIR/inbox/TENANT`.
 *
 * What it checks without the key: the tenant, the size, the content type, the envelope's
 * clear-text header (magic, version, suite, field rules), that the header names the tenant of
 * the URL and one of the tenant's key ids, and that the ciphertext is a whole number of chunks;
 * a consent record field by field against its schema.
 *
 * What it never does: serve anything it stored (every method but POST is refused), overwrite a
 * stored file, leave half a file where `keksdose open` reads (files are written in DATA_DIR/tmp,
 * synced, then renamed into place), or run with a configuration it cannot trust: a wrong one is
 * answered with 500 and the reason, and nothing is stored.
 *
 * Settings: keksdose-config.php next to this file. `php keksdose.php` checks them from a shell.
 * Needs PHP 8.1 or newer with its default extensions (json, pcre, hash).
 */

declare(strict_types=1);

namespace Keksdose\DropIn;

use ErrorException;
use RuntimeException;
use stdClass;
use Throwable;

/** The media type of a sealed submission (MEDIA_TYPE in src/seal/envelope.rs). */
const MEDIA_TYPE = 'application/vnd.keksdose.sealed';
/** The largest consent record (MAX_RECORD_BYTES in src/consent/record.rs). */
const MAX_RECORD_BYTES = 16 * 1024;
/** The most categories or services a record may name (MAX_NAMES in src/consent/record.rs). */
const MAX_NAMES = 512;
/** `seal.maxAttachmentBytes` when a tenant names none, and its largest value (src/config.rs). */
const DEFAULT_MAX_ATTACHMENT_BYTES = 25 * 1024 * 1024;
const LARGEST_MAX_ATTACHMENT_BYTES = 256 * 1024 * 1024;

/** Envelope v1 (docs/envelope-v1.md §1, §3.1). */
const MAGIC = 'KDSEAL';
const VERSION = 1;
const SUITE = [0x0020, 0x0001, 0x0002];
const ENC_LEN = 32;
/** What sealing adds to each chunk: the flag byte and the AES-GCM tag. */
const CHUNK_OVERHEAD = 1 + 16;
const MIN_CHUNK_SIZE = 4096;
const MAX_CHUNK_SIZE = 1 << 20;
const MAX_TENANT_LEN = 63;
const MAX_FORM_ID_LEN = 64;
const MAX_ORIGIN_LEN = 2048;
/** The longest header: the fixed part, then tenant, form id and origin with their lengths. */
const MAX_HEADER_LEN = 57 + (1 + MAX_TENANT_LEN) + (1 + MAX_FORM_ID_LEN) + (2 + MAX_ORIGIN_LEN);
/** The largest manifest (§4). */
const MAX_MANIFEST = 1 << 20;
/** The smallest inner plaintext: padding never gives less (§4). */
const MIN_INNER = 4096;

/** A consent record's fields, in the order keksdose writes them. */
const RECORD_FIELDS = [
    'recordId', 'consentId', 'tenant', 'timestamp', 'revision', 'configHash', 'language',
    'method', 'withdrawal', 'categories', 'services', 'expiresAt',
];
const RECORD_METHODS = ['accept-all', 'reject-all', 'custom', 'gpc', 'reset'];

/** What the data directory holds for a web server that honours .htaccess (Apache). */
const HTACCESS = "# keksdose: nothing in this directory is ever served.\nRequire all denied\n";

/** An answer other than success: the status and why. */
final class Refusal extends RuntimeException
{
    public function __construct(public readonly int $status, string $why)
    {
        parent::__construct($why);
    }
}

/** The settings, checked; see keksdose-config.php. */
final class Settings
{
    /**
     * @param array<string, array{kids: list<string>, maxAttachmentBytes: int}> $tenants
     */
    public function __construct(
        public readonly string $dataDir,
        public readonly array $tenants,
    ) {
    }
}

// ------------------------------------------------------------------------------- settings

/**
 * Reads and checks keksdose-config.php: every problem at once. `$webRoot` is the web server's
 * document root ('' when unknown, as from a shell).
 *
 * @return array{0: ?Settings, 1: list<string>} the settings, or null and the problems
 */
function read_settings(string $file, string $webRoot): array
{
    if (!is_file($file)) {
        return [null, ['keksdose-config.php is missing next to keksdose.php']];
    }
    try {
        $raw = (static fn (string $file): mixed => require $file)($file);
    } catch (Throwable $error) {
        return [null, ['keksdose-config.php cannot be read: ' . $error->getMessage()]];
    }
    if (!is_array($raw)) {
        return [null, ['keksdose-config.php must return an array (see the shipped example)']];
    }
    $problems = [];
    foreach (array_diff(array_keys($raw), ['dataDir', 'dataDirInsideWebRoot', 'tenants']) as $key) {
        $problems[] = "unknown setting `$key`, expected dataDir, dataDirInsideWebRoot or tenants";
    }
    $insideAllowed = $raw['dataDirInsideWebRoot'] ?? false;
    if (!is_bool($insideAllowed)) {
        $problems[] = 'dataDirInsideWebRoot: expected true or false';
        $insideAllowed = false;
    }
    $dataDir = $raw['dataDir'] ?? null;
    if (!is_string($dataDir) || preg_match('~^(/|[A-Za-z]:[\\\\/])~', $dataDir) !== 1) {
        $problems[] = "dataDir: expected the absolute path of a directory outside the web root, e.g. "
            . "__DIR__ . '/../keksdose-daten'";
        $dataDir = '';
    } else {
        $dataDir = rtrim($dataDir, '/');
        array_push($problems, ...data_dir_problems($dataDir, $webRoot, $insideAllowed));
    }
    $tenants = [];
    $given = $raw['tenants'] ?? null;
    if (!is_array($given) || $given === []) {
        $problems[] = 'tenants: expected at least one tenant, e.g. '
            . "'musterstadt' => ['kids' => ['…'], 'maxAttachmentBytes' => 26214400]";
        $given = [];
    }
    foreach ($given as $name => $tenant) {
        $name = (string) $name;
        $path = "tenants.$name";
        if (!is_label($name)) {
            $problems[] = "$path: a tenant is 1–63 characters a–z, 0–9 and - (not at either end), "
                . 'as the config\'s `tenant`';
        }
        if (!is_array($tenant)) {
            $problems[] = "$path: expected ['kids' => [...], 'maxAttachmentBytes' => N]";
            continue;
        }
        foreach (array_diff(array_keys($tenant), ['kids', 'maxAttachmentBytes']) as $key) {
            $problems[] = "$path: unknown setting `$key`, expected kids or maxAttachmentBytes";
        }
        $kids = $tenant['kids'] ?? null;
        if (!is_array($kids) || !array_is_list($kids)) {
            $problems[] = "$path.kids: expected a list of key ids (the config's seal.keys[].kid; "
                . 'an empty list receives consent records only)';
            $kids = [];
        }
        foreach ($kids as $i => $kid) {
            if (!is_string($kid) || preg_match('/^[0-9a-f]{32}$/D', $kid) !== 1) {
                $problems[] = "$path.kids[$i]: expected a key id of 32 hex digits, as `keksdose keygen` "
                    . 'prints it and the config lists it under seal.keys[].kid';
            }
        }
        $max = $tenant['maxAttachmentBytes'] ?? DEFAULT_MAX_ATTACHMENT_BYTES;
        if (!is_int($max) || $max < 0 || $max > LARGEST_MAX_ATTACHMENT_BYTES) {
            $problems[] = "$path.maxAttachmentBytes: expected the config's seal.maxAttachmentBytes, "
                . 'a whole number of bytes up to 268435456 (256 MiB)';
            $max = 0;
        }
        $tenants[$name] = [
            'kids' => array_values(array_filter($kids, 'is_string')),
            'maxAttachmentBytes' => $max,
        ];
    }
    return $problems === [] ? [new Settings($dataDir, $tenants), []] : [null, $problems];
}

/**
 * What is wrong with `$dir` as the data directory: it must be a writable directory (or one that
 * can be created in an existing one) and, unless allowed, outside the web root, which here means
 * neither below the web server's document root nor below this script's own directory.
 *
 * @return list<string>
 */
function data_dir_problems(string $dir, string $webRoot, bool $insideAllowed): array
{
    $problems = [];
    $existing = is_dir($dir) ? $dir : dirname($dir);
    if (file_exists($dir) && !is_dir($dir)) {
        return ['dataDir: exists but is not a directory'];
    }
    if (!is_dir($existing)) {
        return ['dataDir: neither it nor its parent directory exists; create it'];
    }
    if (!is_writable($existing)) {
        $problems[] = is_dir($dir)
            ? 'dataDir: PHP cannot write to it (see README: file permissions)'
            : 'dataDir: does not exist, and PHP cannot create it in its parent directory';
    }
    $real = realpath($existing) . (is_dir($dir) ? '' : '/' . basename($dir));
    $roots = array_filter([realpath(__DIR__), $webRoot === '' ? false : realpath($webRoot)]);
    foreach ($roots as $root) {
        if (($real === $root || str_starts_with($real, rtrim($root, '/') . '/')) && !$insideAllowed) {
            $problems[] = 'dataDir: is inside the web root, where a web server that ignores .htaccess '
                . 'would serve it; choose a directory outside it, or, only if the webspace has none, '
                . "set 'dataDirInsideWebRoot' => true (see README)";
            break;
        }
    }
    return $problems;
}

/**
 * The tenant rule: a lower-case DNS label, 1–63 characters `[a-z0-9-]`, no `-` at either end.
 * The one definition is `keksdose::tenant::is_valid` (src/tenant.rs); this regex must match it.
 */
function is_label(string $name): bool
{
    return preg_match('/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/D', $name) === 1;
}

/** The largest envelope of a tenant: max_envelope_len in src/seal/envelope.rs. */
function max_envelope_len(int $maxAttachmentBytes): int
{
    $inner = padded_len(4 + MAX_MANIFEST + $maxAttachmentBytes);
    $chunks = intdiv($inner + MIN_CHUNK_SIZE - 1, MIN_CHUNK_SIZE);
    return MAX_HEADER_LEN + ENC_LEN + $inner + $chunks * CHUNK_OVERHEAD;
}

/** max(4096, Padmé(n)) (docs/envelope-v1.md §4). */
function padded_len(int $n): int
{
    $e = floor_log2($n);
    $s = floor_log2($e) + 1;
    $mask = (1 << ($e - $s)) - 1;
    return max(MIN_INNER, ($n + $mask) & ~$mask);
}

function floor_log2(int $n): int
{
    $log = 0;
    while ($n >> ($log + 1) > 0) {
        $log++;
    }
    return $log;
}

/** PHP's post_max_size in bytes; 0 when unlimited. */
function post_max_size(): int
{
    $value = trim((string) ini_get('post_max_size'));
    if (preg_match('/^(\d+)\s*([kmg]?)$/Di', $value, $m) !== 1) {
        return 0;
    }
    return (int) $m[1] * match (strtolower($m[2])) {
        'k' => 1024,
        'm' => 1024 ** 2,
        'g' => 1024 ** 3,
        default => 1,
    };
}

/** The largest body PHP hands over and the tenant accepts. */
function body_limit(int $wanted): int
{
    $php = post_max_size();
    return $php > 0 ? min($wanted, $php) : $wanted;
}

// ------------------------------------------------------------------------------- envelope

/**
 * The clear-text header at the start of `$bytes` (docs/envelope-v1.md §3.1), read as
 * Header::parse in src/seal/envelope.rs does.
 *
 * @return array{kid: string, submissionId: string, chunkSize: int, tenant: string, length: int}
 * @throws Refusal 400 when it breaks a rule
 */
function parse_header(string $bytes): array
{
    $malformed = static fn (string $why): Refusal => new Refusal(400, "not a valid sealed submission: $why");
    if (strlen($bytes) < 6) {
        throw $malformed('too short');
    }
    if (substr($bytes, 0, 6) !== MAGIC) {
        throw $malformed('wrong magic (not a keksdose envelope)');
    }
    if (strlen($bytes) < 7) {
        throw $malformed('too short');
    }
    $version = ord($bytes[6]);
    if ($version !== VERSION) {
        throw $malformed("version $version (this version of keksdose reads version " . VERSION . ')');
    }
    if (strlen($bytes) < 13 || array_values(unpack('n3', $bytes, 7)) !== SUITE) {
        throw $malformed('unsupported HPKE suite (expected 0x0020/0x0001/0x0002)');
    }
    if (strlen($bytes) < 57) {
        throw $malformed('header cut off');
    }
    $kid = bin2hex(substr($bytes, 13, 16));
    $submissionId = bin2hex(substr($bytes, 29, 16));
    $chunkSize = unpack('N', $bytes, 53)[1];
    $at = 57;
    $texts = [];
    foreach ([1, 1, 2] as $width) {
        if (strlen($bytes) < $at + $width) {
            throw $malformed('header cut off');
        }
        $length = $width === 1 ? ord($bytes[$at]) : unpack('n', $bytes, $at)[1];
        $at += $width;
        if (strlen($bytes) < $at + $length) {
            throw $malformed('header cut off');
        }
        $text = substr($bytes, $at, $length);
        if (preg_match('//u', $text) !== 1) {
            throw $malformed('text field is not UTF-8');
        }
        $texts[] = $text;
        $at += $length;
    }
    [$tenant, $formId, $origin] = $texts;
    if (!is_label($tenant)) {
        throw $malformed('tenant: expected 1–' . MAX_TENANT_LEN . ' characters a–z, 0–9 and inner hyphens');
    }
    if (preg_match('/^[A-Za-z0-9_.-]{1,' . MAX_FORM_ID_LEN . '}$/D', $formId) !== 1) {
        throw $malformed('form id: expected 1–' . MAX_FORM_ID_LEN . ' characters A–Z, a–z, 0–9, _ . -');
    }
    if (preg_match('/^[\x21-\x7e]{1,' . MAX_ORIGIN_LEN . '}$/D', $origin) !== 1) {
        throw $malformed('origin: expected 1–' . MAX_ORIGIN_LEN . ' visible ASCII characters');
    }
    $powerOfTwo = $chunkSize > 0 && ($chunkSize & ($chunkSize - 1)) === 0;
    if (!$powerOfTwo || $chunkSize < MIN_CHUNK_SIZE || $chunkSize > MAX_CHUNK_SIZE) {
        throw $malformed('chunk size: expected a power of two from 4 KiB to 1 MiB');
    }
    return [
        'kid' => $kid,
        'submissionId' => $submissionId,
        'chunkSize' => $chunkSize,
        'tenant' => $tenant,
        'length' => $at,
    ];
}

/**
 * Whether `$length` bytes after a header can be `enc` and chunks of `$chunkSize`: full ones,
 * then a last one with at least one byte of plaintext (chunks_well_formed in src/seal/envelope.rs).
 */
function chunks_well_formed(int $length, int $chunkSize): bool
{
    $rest = $length - ENC_LEN;
    if ($rest <= 0) {
        return false;
    }
    $full = $chunkSize + CHUNK_OVERHEAD;
    $last = $rest % $full === 0 ? $full : $rest % $full;
    return $last >= CHUNK_OVERHEAD + 1;
}

// ------------------------------------------------------------------------- consent record

/**
 * The tenant and record id of a consent record, checked as Record::from_json in
 * src/consent/record.rs reads it: exactly the schema's fields, each by its rule.
 *
 * @return array{tenant: string, recordId: string}
 * @throws Refusal 400 naming what is wrong
 */
function check_record(string $text): array
{
    try {
        $record = json_decode($text, false, 512, JSON_THROW_ON_ERROR);
    } catch (\JsonException $e) {
        throw new Refusal(400, 'not JSON: ' . $e->getMessage());
    }
    if (!$record instanceof stdClass) {
        throw new Refusal(400, 'not a JSON object');
    }
    $fields = get_object_vars($record);
    foreach (array_keys($fields) as $key) {
        if (!in_array((string) $key, RECORD_FIELDS, true)) {
            throw new Refusal(400, "unknown field `$key`");
        }
    }
    foreach (RECORD_FIELDS as $field) {
        if (!array_key_exists($field, $fields)) {
            throw new Refusal(400, "missing field `$field`");
        }
    }
    $invalid = static fn (string $field): Refusal => new Refusal(400, "invalid `$field`");
    $matches = static fn (string $field, string $pattern): bool =>
        is_string($fields[$field]) && preg_match($pattern, $fields[$field]) === 1;
    foreach (['recordId', 'consentId'] as $field) {
        if (!$matches($field, '/^[A-Za-z0-9_-]{22}$/D')) {
            throw $invalid($field);
        }
    }
    if (!is_string($fields['tenant']) || !is_label($fields['tenant'])) {
        throw $invalid('tenant');
    }
    $timestamp = utc_seconds($fields['timestamp']) ?? throw $invalid('timestamp');
    if (!$matches('revision', '/^[A-Za-z0-9_-]{12}$/D')) {
        throw $invalid('revision');
    }
    if (!$matches('configHash', '/^[0-9a-f]{64}$/D')) {
        throw $invalid('configHash');
    }
    // An ISO 639 code, as keksdose's config accepts it.
    if (!$matches('language', '/^[a-z]{2,3}$/D')) {
        throw $invalid('language');
    }
    if (!in_array($fields['method'], RECORD_METHODS, true)) {
        throw $invalid('method');
    }
    if (!is_bool($fields['withdrawal'])) {
        throw $invalid('withdrawal');
    }
    $names = 0;
    foreach (['categories', 'services'] as $field) {
        $states = $fields[$field];
        if (!$states instanceof stdClass || count(get_object_vars($states)) > MAX_NAMES) {
            throw $invalid($field);
        }
        foreach (get_object_vars($states) as $name => $state) {
            if ($state !== 'given' && $state !== 'refused') {
                throw new Refusal(400, "invalid `$field.$name`");
            }
            if (preg_match('/^[a-z][a-z0-9_-]{0,31}$/D', (string) $name) !== 1) {
                throw new Refusal(400, "invalid name in `$field`");
            }
            $names++;
        }
    }
    $expiresAt = utc_seconds($fields['expiresAt']) ?? throw $invalid('expiresAt');
    if ($expiresAt < $timestamp) {
        throw new Refusal(400, '`expiresAt` before `timestamp`');
    }
    // PHP's JSON reader keeps the last of repeated keys where keksdose's refuses them: every
    // string of the text followed by a colon is a key, so the text has more keys than the
    // record when one repeats.
    preg_match_all('/"(?:[^"\\\\]|\\\\.)*+"(\s*:)?/s', $text, $strings);
    $keys = count(array_filter($strings[1], static fn (string $colon): bool => $colon !== ''));
    if ($keys !== count(RECORD_FIELDS) + $names) {
        throw new Refusal(400, 'duplicate field');
    }
    return ['tenant' => $fields['tenant'], 'recordId' => $fields['recordId']];
}

/** Unix seconds of an RFC 3339 UTC time with seconds (`2026-11-30T09:00:00Z`), from 1970 on. */
function utc_seconds(mixed $text): ?int
{
    if (!is_string($text) || preg_match('/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/D', $text) !== 1) {
        return null;
    }
    $time = \DateTimeImmutable::createFromFormat('!Y-m-d\TH:i:s\Z', $text, new \DateTimeZone('UTC'));
    // A day past the month's end or a 25th hour would come back as another time.
    if ($time === false || $time->format('Y-m-d\TH:i:s\Z') !== $text || $time->getTimestamp() < 0) {
        return null;
    }
    return $time->getTimestamp();
}

// -------------------------------------------------------------------------------- storage

/**
 * Creates the data directory's parts on first use, readable only by PHP's user, and puts a
 * deny-all .htaccess and an empty index.html into it (for a web server that honours them, should
 * the directory ever be reachable from the web).
 */
function prepare_data_dir(string $dataDir): void
{
    foreach (['', '/inbox', '/records', '/tmp'] as $part) {
        ensure_dir($dataDir . $part);
    }
    foreach (['.htaccess' => HTACCESS, 'index.html' => ''] as $name => $content) {
        $path = "$dataDir/$name";
        if (!is_file($path) || file_get_contents($path) !== $content) {
            write_atomically($dataDir, $path, [$content]);
        }
    }
}

/** What became of a complete file that was to be stored under a name. */
enum Published
{
    /** Stored under the name now. */
    case New;
    /** The name was taken by the same content (a resend); nothing changed. */
    case AlreadyThere;
    /** The name was taken by other content; nothing changed. */
    case Conflict;
}

/** The files being written right now; removed if the script ends before they are in place. */
final class Unfinished
{
    /** @var array<string, true> */
    public static array $files = [];
}

/**
 * A new file in DATA_DIR/tmp holding `$parts` (strings or readable streams, a stream read to its
 * end), synced to disk; its name and length. More than `$limit` bytes in all are refused.
 *
 * @param list<string|resource> $parts
 * @return array{0: string, 1: int}
 * @throws Refusal 413 beyond `$limit`
 */
function write_temporary(string $dataDir, array $parts, int $limit = PHP_INT_MAX): array
{
    $temp = "$dataDir/tmp/" . bin2hex(random_bytes(12)) . '.part';
    $file = fopen($temp, 'xb');
    Unfinished::$files[$temp] = true;
    try {
        chmod($temp, 0600);
        $written = 0;
        foreach ($parts as $part) {
            do {
                $bytes = is_string($part) ? $part : fread($part, 65536);
                $written += strlen((string) $bytes);
                if ($written > $limit) {
                    throw new Refusal(413, 'request body too large');
                }
                if ($bytes !== '' && $bytes !== false && fwrite($file, $bytes) !== strlen($bytes)) {
                    throw new RuntimeException("$temp: short write");
                }
            } while (!is_string($part) && $bytes !== '' && $bytes !== false);
        }
        fflush($file);
        fsync($file);
    } finally {
        fclose($file);
    }
    return [$temp, $written];
}

/**
 * Moves the complete temporary file `$temp` to `$final` unless a file is there already, which is
 * never replaced; `$isResend` tells whether that one has the same content. One lock serialises
 * the check and the move, so two requests for one name cannot both store. The temporary file is
 * gone afterwards either way.
 *
 * @param callable(string): bool $isResend
 */
function publish(string $dataDir, string $temp, string $final, callable $isResend): Published
{
    $lock = fopen("$dataDir/tmp/lock", 'c');
    flock($lock, LOCK_EX);
    try {
        clearstatcache();
        if (file_exists($final)) {
            $outcome = $isResend($final) ? Published::AlreadyThere : Published::Conflict;
            unlink($temp);
        } else {
            rename($temp, $final);
            sync_directory(dirname($final));
            $outcome = Published::New;
        }
        unset(Unfinished::$files[$temp]);
        return $outcome;
    } finally {
        flock($lock, LOCK_UN);
        fclose($lock);
    }
}

/** Writes `$parts` to `$path` through a temporary file: never half a file. */
function write_atomically(string $dataDir, string $path, array $parts): void
{
    [$temp] = write_temporary($dataDir, $parts);
    rename($temp, $path);
    unset(Unfinished::$files[$temp]);
    sync_directory(dirname($path));
}

/**
 * Makes a rename durable: syncs the directory entry. Where the system cannot open a directory
 * (not Linux or BSD), the file's own sync has to do.
 */
function sync_directory(string $dir): void
{
    $handle = @fopen($dir, 'r');
    if ($handle !== false) {
        @fsync($handle);
        fclose($handle);
    }
}

/** A tenant's directory under `$kind` (inbox, records), created on first use. */
function tenant_dir(string $dataDir, string $kind, string $tenant): string
{
    $dir = "$dataDir/$kind/$tenant";
    ensure_dir($dir);
    return $dir;
}

/** Creates `$dir` (mode 0700) unless it exists, also when another request creates it meanwhile. */
function ensure_dir(string $dir): void
{
    if (!is_dir($dir) && !@mkdir($dir, 0700) && !is_dir($dir)) {
        throw new RuntimeException("$dir: cannot create the directory");
    }
}

// ------------------------------------------------------------------------------- requests

/**
 * The body's announced length.
 *
 * @throws Refusal 411 without one, 400 when it is not a number, 413 above `$limit`
 */
function content_length(int $limit): int
{
    if (isset($_SERVER['HTTP_TRANSFER_ENCODING']) || !isset($_SERVER['CONTENT_LENGTH'])
        || $_SERVER['CONTENT_LENGTH'] === '') {
        throw new Refusal(411, 'send a Content-Length');
    }
    $length = (string) $_SERVER['CONTENT_LENGTH'];
    if (preg_match('/^\d{1,18}$/D', $length) !== 1) {
        throw new Refusal(400, 'bad Content-Length');
    }
    if ((int) $length > $limit) {
        throw new Refusal(413, 'request body too large');
    }
    return (int) $length;
}

/** Up to `$length` bytes from `$input`, fewer only at its end. */
function read_exactly($input, int $length): string
{
    $bytes = '';
    while (strlen($bytes) < $length && !feof($input)) {
        $read = fread($input, $length - strlen($bytes));
        if ($read === false || $read === '') {
            break;
        }
        $bytes .= $read;
    }
    return $bytes;
}

/**
 * `POST ?inbox=TENANT`: checks what can be checked without the key (as `keksdose serve`'s
 * collector does), then stores the envelope as DATA_DIR/inbox/TENANT/<submission id>.kdseal.
 *
 * @return array{0: int, 1: array<string, mixed>} status and body
 */
function collect(Settings $settings, string $tenantName): array
{
    $tenant = $settings->tenants[$tenantName] ?? null;
    if ($tenant === null || $tenant['kids'] === []) {
        throw new Refusal(404, 'unknown tenant');
    }
    $length = content_length(body_limit(max_envelope_len($tenant['maxAttachmentBytes'])));
    if (($_SERVER['CONTENT_TYPE'] ?? '') !== MEDIA_TYPE) {
        throw new Refusal(415, 'expected Content-Type: ' . MEDIA_TYPE);
    }
    $input = fopen('php://input', 'rb');
    $head = read_exactly($input, min($length, MAX_HEADER_LEN));
    $header = parse_header($head);
    if ($header['tenant'] !== $tenantName) {
        throw new Refusal(400, 'the envelope names another tenant than the URL');
    }
    if (!in_array($header['kid'], $tenant['kids'], true)) {
        throw new Refusal(400, 'sealed to a key this tenant does not use');
    }
    if (!chunks_well_formed($length - $header['length'], $header['chunkSize'])) {
        throw new Refusal(400, 'the ciphertext is not a whole number of chunks');
    }
    [$temp, $received] = write_temporary($settings->dataDir, [$head, $input], $length);
    if ($received !== $length) {
        throw new Refusal(400, 'the body is shorter than its Content-Length');
    }
    $id = $header['submissionId'];
    $final = tenant_dir($settings->dataDir, 'inbox', $tenantName) . "/$id.kdseal";
    $identical = static fn (string $existing): bool => filesize($existing) === $length
        && hash_file('sha256', $existing) === hash_file('sha256', $temp);
    return match (publish($settings->dataDir, $temp, $final, $identical)) {
        Published::New => [201, ['submission' => $id]],
        Published::AlreadyThere => [200, ['submission' => $id, 'resent' => true]],
        Published::Conflict => throw new Refusal(409, 'another submission has this id'),
    };
}

/**
 * `POST ?receipts`: a consent record, checked field by field, stored once per record id as
 * DATA_DIR/records/TENANT/<record id>.json, exactly as received. `204` once it is stored, also
 * when it was stored before.
 *
 * @return array{0: int, 1: null}
 */
function receive(Settings $settings): array
{
    $length = content_length(body_limit(MAX_RECORD_BYTES));
    $text = read_exactly(fopen('php://input', 'rb'), $length);
    if (preg_match('//u', $text) !== 1) {
        throw new Refusal(400, 'not UTF-8');
    }
    $record = check_record($text);
    if (!isset($settings->tenants[$record['tenant']])) {
        throw new Refusal(404, 'unknown tenant');
    }
    $final = tenant_dir($settings->dataDir, 'records', $record['tenant']) . "/{$record['recordId']}.json";
    if (!file_exists($final)) {
        // The first record stored under an id stands, as in `keksdose serve`'s consent log.
        [$temp] = write_temporary($settings->dataDir, [$text]);
        publish($settings->dataDir, $temp, $final, static fn (): bool => true);
    }
    return [204, null];
}

/** Sends the answer with the security headers every answer carries. */
function answer(int $status, ?array $body, array $headers = []): void
{
    http_response_code($status);
    header_remove('X-Powered-By');
    header("Content-Security-Policy: default-src 'none'; frame-ancestors 'none'");
    header('X-Content-Type-Options: nosniff');
    header('Cache-Control: no-store');
    header('Referrer-Policy: same-origin');
    foreach ($headers as $header) {
        header($header);
    }
    if ($body !== null) {
        header('Content-Type: application/json');
        echo json_encode($body, JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE | JSON_INVALID_UTF8_SUBSTITUTE);
    }
}

/** Answers one request. Anything unexpected (a full disk, say) is a 503 and stores nothing. */
function serve_request(): void
{
    ini_set('display_errors', '0');
    // Only JSON answers carry a Content-Type; a 204 carries none rather than PHP's text/html.
    ini_set('default_mimetype', '');
    register_shutdown_function(static function (): void {
        foreach (array_keys(Unfinished::$files) as $temp) {
            @unlink($temp);
        }
    });
    ignore_user_abort(true);
    $endpoint = null;
    try {
        $webRoot = (string) ($_SERVER['DOCUMENT_ROOT'] ?? '');
        [$settings, $problems] = read_settings(__DIR__ . '/keksdose-config.php', $webRoot);
        if ($settings === null) {
            foreach ($problems as $problem) {
                error_log("keksdose.php: keksdose-config.php: $problem");
            }
            answer(500, ['error' => 'keksdose.php is not set up correctly: ' . implode('; ', $problems)]);
            return;
        }
        // From here on a warning (a failed write, a full disk) stops the request instead of passing
        // unnoticed; what is silenced with @ stays silent. (While the settings are checked, a
        // warning such as an open_basedir refusal only makes a check fail, as it should.)
        set_error_handler(static function (int $level, string $message, string $file, int $line): bool {
            if ((error_reporting() & $level) === 0) {
                return false;
            }
            throw new ErrorException($message, 0, $level, $file, $line);
        });
        if ($_SERVER['REQUEST_METHOD'] !== 'POST') {
            throw new Refusal(405, 'method not allowed');
        }
        $inbox = $_GET['inbox'] ?? null;
        $endpoint = match (true) {
            is_string($inbox) && !isset($_GET['receipts']) => 'inbox',
            $inbox === null && isset($_GET['receipts']) => 'receipts',
            default => throw new Refusal(404, 'unknown endpoint: POST to ?inbox=TENANT or ?receipts'),
        };
        prepare_data_dir($settings->dataDir);
        [$status, $body] = $endpoint === 'inbox' ? collect($settings, $inbox) : receive($settings);
        answer($status, $body);
    } catch (Refusal $refusal) {
        $allow = $refusal->status === 405 ? ['Allow: POST'] : [];
        answer($refusal->status, ['error' => $refusal->getMessage()], $allow);
    } catch (Throwable $error) {
        error_log('keksdose.php: ' . $error->getMessage());
        answer(503, ['error' => match ($endpoint) {
            'receipts' => 'the consent log cannot store records right now',
            default => 'the inbox cannot store submissions right now',
        }]);
    }
}

/** `php keksdose.php`: checks the settings from a shell, changing nothing; exit status 1 if wrong. */
function check_from_shell(): int
{
    [$settings, $problems] = read_settings(__DIR__ . '/keksdose-config.php', '');
    if ($settings === null) {
        foreach ($problems as $problem) {
            fwrite(STDERR, "keksdose-config.php: $problem\n");
        }
        return 1;
    }
    echo "keksdose-config.php: valid; data directory {$settings->dataDir}\n";
    foreach ($settings->tenants as $name => $tenant) {
        $limit = max_envelope_len($tenant['maxAttachmentBytes']);
        echo $tenant['kids'] === []
            ? "tenant $name: consent records only\n"
            : "tenant $name: key ids " . implode(', ', $tenant['kids']) . "; envelopes up to $limit bytes\n";
    }
    return 0;
}

if (PHP_SAPI === 'cli') {
    exit(check_from_shell());
}
serve_request();
