<?php
/**
 * Settings of keksdose.php; upload this file next to it. `php keksdose.php` checks them from a
 * shell; without one, a wrong setting shows as a 500 answer naming it (and in PHP's error log).
 */

return [
    // Where submissions and consent records are stored. Keep it OUTSIDE the web root, so that no
    // web server can ever hand out what is in it: here, a directory next to the one keksdose.php
    // is in (usually the web root), e.g. /home/konto/keksdose-daten for /home/konto/public_html.
    // It is created if its parent exists and PHP may write there.
    'dataDir' => dirname(__DIR__) . '/keksdose-daten',

    // Only if the webspace has no directory outside the web root: set to true to allow a data
    // directory inside it. keksdose.php then relies on the deny-all .htaccess it writes there,
    // which only Apache honours: check that the directory's address answers 403 (see README).
    'dataDirInsideWebRoot' => false,

    // The tenants accepted: the config's `tenant`, with
    //   kids               the key ids of its seal keys, active and retired: the config's
    //                      seal.keys[].kid (`keksdose keygen` prints it as "key id"); an empty
    //                      list accepts consent records only
    //   maxAttachmentBytes the config's seal.maxAttachmentBytes (default 26214400, 25 MiB)
    'tenants' => [
        'musterstadt' => [
            'kids' => ['14d86d9ac2ddb9f5ba9f547ba6f0dd23'],
            'maxAttachmentBytes' => 26214400,
        ],
    ],
];
