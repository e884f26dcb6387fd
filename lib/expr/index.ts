// SPDX-License-Identifier: GPL-2.0-or-later
export * from './registry';
export * from './validate';
